/**
 * Per-shard health for /health: whether each shard is writing what it reads, how far behind it is, and whether
 * its lease was lost. It watches the pipeline from outside: the observer events, each shard's buffer, the
 * emitter's and the dead-letter sink's calls (wrapped by `watchBuffers`, `watchEmitter`, `watchDeadLetter`),
 * and the consumer's lease events.
 */
import { lagProblem } from '../../kinesis/src/index.js';
import type { RecordBatchBuffer, BufferFactory, DeadLetterSink, Emitter, EmitBatch } from './interfaces.js';
import type { PipelineObserver } from './pipeline-observer.js';

/** When a shard has a problem. */
export interface HealthSettings {
  /**
   * A shard whose read records wait unwritten (nothing emitted, dead-lettered or checkpointed) this long, ms; it
   * must be above the buffer's maxAgeMs (a buffer legitimately holds records that long).
   */
  stallMs: number;
  /** A shard whose millisBehindLatest is above this, ms; 0: not checked. */
  maxLagMs: number;
}

export type ShardProblemKind = 'stalled' | 'not checkpointing' | 'lagging' | 'lease lost';

export interface ShardProblem {
  shardId: string;
  problem: ShardProblemKind;
  /** Counts and durations only, never record data. */
  detail: string;
}

interface ShardState {
  /** Last time something of this shard was written: emitted, dead-lettered or checkpointed. */
  lastWriteAt: number;
  /** Last checkpoint of this shard here (undefined: none yet). */
  lastCheckpointAt?: number;
  /**
   * Since when records written (emitted or dead-lettered) wait for a checkpoint: set by the first write after a
   * checkpoint, cleared by the next one. A restarted reader keeps it (its records are still not checkpointed).
   */
  uncheckpointedSince?: number;
  /** The shard's buffer: records read and not yet handed to a write. */
  buffer?: RecordBatchBuffer<unknown>;
  /** Per destination: since when a write has been in flight or failing without one succeeding. */
  writingSince: Map<string, number>;
  failedAttempts: number;
  millisBehindLatest?: number;
  leaseLost?: { at: number; reason: string };
}

export class ShardHealth implements PipelineObserver {
  private readonly shards = new Map<string, ShardState>();

  constructor(
    private readonly settings: HealthSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** A shard (re)started reading here: what was known about an earlier reader of it no longer applies. */
  shardStarted(shardId: string): void {
    const s = this.state(shardId);
    Object.assign(s, { lastWriteAt: this.now(), writingSince: new Map(), failedAttempts: 0 });
    delete s.millisBehindLatest;
  }

  leaseLost(shardId: string, reason: string): void {
    const s = this.state(shardId);
    s.leaseLost = { at: this.now(), reason };
    delete s.uncheckpointedSince; // another worker checkpoints it now
  }

  leaseTaken(shardId: string): void {
    delete this.state(shardId).leaseLost;
  }

  bufferCreated(shardId: string, buffer: RecordBatchBuffer<unknown>): void {
    this.state(shardId).buffer = buffer;
  }

  recordsIn(shardId: string, _count: number, millisBehindLatest: number | undefined): void {
    this.state(shardId).millisBehindLatest = millisBehindLatest;
  }
  emitted(shardId: string): void {
    this.written(this.state(shardId));
  }
  deadLettered(shardId: string): void {
    this.written(this.state(shardId));
  }
  checkpointed(shardId: string): void {
    const s = this.state(shardId);
    s.lastWriteAt = s.lastCheckpointAt = this.now();
    delete s.uncheckpointedSince;
    if (s.writingSince.size === 0) s.failedAttempts = 0;
  }
  private written(s: ShardState): void {
    s.lastWriteAt = this.now();
    s.uncheckpointedSince ??= s.lastWriteAt;
  }
  emitFailed(shardId: string): void {
    this.state(shardId).failedAttempts++;
  }

  /** Brackets a write of `shardId` to `destination`: in flight from the call until it succeeds. */
  async watch<R>(shardId: string, destination: string, write: () => Promise<R>): Promise<R> {
    const s = this.state(shardId);
    if (!s.writingSince.has(destination)) s.writingSince.set(destination, this.now());
    const result = await write(); // a throw keeps it "in flight": the pipeline retries it
    s.writingSince.delete(destination);
    return result;
  }

  /** What is wrong with the given shards (those being read now); empty when healthy. */
  problems(activeShards: string[]): ShardProblem[] {
    const now = this.now();
    const { stallMs, maxLagMs } = this.settings;
    const problems: ShardProblem[] = [];
    for (const [shardId, s] of this.shards) {
      if (s.leaseLost && now - s.leaseLost.at <= stallMs) {
        problems.push({
          shardId,
          problem: 'lease lost',
          detail: `${s.leaseLost.reason}, ${seconds(now - s.leaseLost.at)} ago`,
        });
      }
      if (!activeShards.includes(shardId)) continue;
      const stalled = this.stalledFor(s, now);
      if (stalled !== undefined && stalled.ms > stallMs) {
        problems.push({ shardId, problem: 'stalled', detail: stalled.detail });
      } else if (s.uncheckpointedSince !== undefined && now - s.uncheckpointedSince > stallMs) {
        // Written but not checkpointed (e.g. the checkpoint store is down): nothing moves, re-read on restart.
        const last =
          s.lastCheckpointAt === undefined ? 'none here yet' : `${seconds(now - s.lastCheckpointAt)} ago`;
        problems.push({
          shardId,
          problem: 'not checkpointing',
          detail: `records written ${seconds(now - s.uncheckpointedSince)} ago are not checkpointed; last checkpoint ${last}`,
        });
      }
      const lagging = lagProblem(shardId, s.millisBehindLatest, maxLagMs);
      if (lagging) problems.push(lagging);
    }
    return problems;
  }

  /**
   * How long records have waited with nothing written, and why, or undefined when nothing waits: a write in
   * flight (or failing and retried) since then, else the oldest record still in the buffer.
   */
  private stalledFor(s: ShardState, now: number): { ms: number; detail: string } | undefined {
    const writes = [...s.writingSince].sort((a, b) => a[1] - b[1]);
    if (writes.length > 0) {
      const [destination, since] = writes[0];
      const failing =
        s.failedAttempts > 0 ? `failing (${s.failedAttempts} failed attempts)` : 'not answering';
      return {
        ms: now - since,
        detail: `${destination} ${failing}: nothing written for ${seconds(now - s.lastWriteAt)}`,
      };
    }
    const oldest = s.buffer && s.buffer.count > 0 ? s.buffer.oldestAt : undefined;
    if (oldest === undefined) return undefined;
    return {
      ms: now - oldest,
      detail: `${s.buffer!.count} records buffered for ${seconds(now - oldest)}, nothing written for ${seconds(now - s.lastWriteAt)}`,
    };
  }

  private state(shardId: string): ShardState {
    let s = this.shards.get(shardId);
    if (!s) {
      s = { lastWriteAt: this.now(), writingSince: new Map(), failedAttempts: 0 };
      this.shards.set(shardId, s);
    }
    return s;
  }
}

/** Each shard's buffer made known to `health` (its count and age tell whether records wait). */
export function watchBuffers<T>(factory: BufferFactory<T>, health: ShardHealth): BufferFactory<T> {
  return (shardId) => {
    const buffer = factory(shardId);
    health.bufferCreated(shardId, buffer as RecordBatchBuffer<unknown>);
    return buffer;
  };
}

/** The emitter with its calls reported to `health` (every other member passes through unchanged). */
export function watchEmitter<T>(emitter: Emitter<T>, health: ShardHealth): Emitter<T> {
  const emit = (batch: EmitBatch<T>) => health.watch(batch.shardId, 'emitter', () => emitter.emit(batch));
  return passThrough(emitter, { emit });
}

/** The dead-letter sink with its writes reported to `health`, per shard of the entries. */
export function watchDeadLetter(sink: DeadLetterSink, health: ShardHealth): DeadLetterSink {
  const write: DeadLetterSink['write'] = (entries) => {
    const shards = [...new Set(entries.map((e) => e.shardId))];
    const run = () => sink.write(entries);
    return shards.length === 1 ? health.watch(shards[0], 'dead-letter sink', run) : run();
  };
  return passThrough(sink, { write });
}

function passThrough<O extends object>(target: O, replaced: Partial<O>): O {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(replaced, prop)) return replaced[prop as keyof O];
      const value = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
