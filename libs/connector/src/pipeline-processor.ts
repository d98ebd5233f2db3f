import type { Buffer as Bytes } from 'node:buffer';
import {
  backoffDelay,
  sleep,
  type Checkpointer,
  type InitializeInput,
  type KinesisRecord,
  type Logger,
  type ProcessRecordsInput,
  type RecordProcessor,
} from '../../kinesis/src/index.js';
import type {
  Buffer,
  BufferedItem,
  BufferFactory,
  DeadLetterEntry,
  DeadLetterSink,
  Emitter,
  Filter,
  FailedItem,
  Transformer,
} from './interfaces.js';
import type { PipelineObserver } from './pipeline-observer.js';

export interface PipelineOptions<T> {
  streamName: string;
  transformer: Transformer<T>;
  filter: Filter<T>;
  bufferFactory: BufferFactory<T>;
  emitter: Emitter<T>;
  deadLetter: DeadLetterSink;
  logger: Logger;
  observer?: PipelineObserver;
  /** Emits of a batch's failed items before they are dead-lettered (default 3). */
  emitAttempts?: number;
  /** Backoff between emit attempts, and while the destination is unavailable. */
  backoff?: { baseMs?: number; maxMs?: number };
  /** How often the buffer's age is checked with no record arriving, ms (default 250). */
  ageCheckIntervalMs?: number;
  /** On shutdown, how long an unavailable destination is waited for before giving up (uncheckpointed), ms. */
  shutdownTimeoutMs?: number;
}

class ShutdownAbandonedError extends Error {}

/** A buffer's content handed to a write. */
interface DetachedBatch<T> {
  items: BufferedItem<T>[];
  dead: DeadLetterEntry[];
  encoded: Map<T, Bytes>;
  /** Everything up to this record is in the batch, filtered out, or dead-lettered. */
  target: KinesisRecord;
}

/**
 * One shard's pipeline: transform, filter, buffer; on a threshold emit (retrying failed items, then
 * dead-lettering them), then checkpoint the last record that was emitted, dead-lettered or filtered out.
 * Never past anything else: an unavailable destination blocks the shard (backpressure) and moves nothing.
 */
export class PipelineProcessor<T> implements RecordProcessor {
  private shardId = '';
  private buffer!: Buffer<T>;
  private deadLetters: DeadLetterEntry[] = [];
  /** toBytes of the buffered models, computed when they were buffered. */
  private encoded = new Map<T, Bytes>();
  /** The write in flight (one per shard), its failure, and the last record handed to a write. */
  private writing: Promise<void> = Promise.resolve();
  private writeFailure: unknown;
  private detachedTarget: KinesisRecord | undefined;
  /** The last record fully handled (buffered, filtered or dead-letter pending): the next checkpoint target. */
  private lastRecord: KinesisRecord | undefined;
  private checkpointedRecord: KinesisRecord | undefined;
  private checkpointer: Checkpointer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lock: Promise<void> = Promise.resolve();
  private stopDeadline = Infinity;
  private lost = false;

  constructor(private readonly o: PipelineOptions<T>) {}

  initialize({ shardId }: InitializeInput): void {
    this.shardId = shardId;
    this.buffer = this.o.bufferFactory(shardId);
    this.timer = setInterval(() => void this.flushIfDue(), this.o.ageCheckIntervalMs ?? 250);
    this.timer.unref();
  }

  processRecords({ records, millisBehindLatest, checkpointer }: ProcessRecordsInput): Promise<void> {
    this.checkpointer = checkpointer;
    this.o.observer?.recordsIn?.(this.shardId, records.length, millisBehindLatest);
    return this.exclusive(async () => {
      this.throwWriteFailure();
      let filtered = 0;
      for (const record of records) {
        filtered += this.take(record);
        this.lastRecord = record;
        if (this.buffer.shouldFlush()) await this.startWrite();
      }
      if (filtered) this.o.observer?.filtered?.(this.shardId, filtered);
      // Dead letters with nothing buffered to ride along with, or only filtered records: settle them too.
      if (this.buffer.count === 0 && this.lastRecord !== this.detachedTarget) await this.startWrite();
    });
  }

  leaseLost(): void {
    // Another worker owns the shard: drop the buffer, checkpoint nothing.
    this.lost = true;
    clearInterval(this.timer);
    this.buffer?.clear();
    this.encoded = new Map();
    this.deadLetters = [];
  }

  shardEnded({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    clearInterval(this.timer);
    return this.exclusive(async () => {
      await this.drain(checkpointer);
      await checkpointer.checkpoint(); // SHARD_END: the children may start
    });
  }

  shutdownRequested({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    clearInterval(this.timer);
    this.stopDeadline = Date.now() + (this.o.shutdownTimeoutMs ?? 10_000);
    return this.exclusive(() => this.drain(checkpointer));
  }

  /** Transforms and filters one record into the buffer; returns how many models were filtered out. */
  private take(record: KinesisRecord): number {
    let models: T[];
    try {
      const out = this.o.transformer.toModels(record);
      models = Array.isArray(out) ? out : [out];
    } catch (error) {
      this.deadLetters.push(this.deadLetter(record, 'transform', error));
      return 0;
    }
    let filtered = 0;
    for (const model of models) {
      if (!this.o.filter.keep(model)) {
        filtered++;
        continue;
      }
      const bytes = this.o.transformer.toBytes(model);
      this.encoded.set(model, bytes); // the emitter asks again: encode each model once
      this.buffer.add({ model, record, bytes: bytes.length });
    }
    return filtered;
  }

  private flushIfDue(): Promise<void> {
    return this.exclusive(async () => {
      if (this.lost) return;
      if (this.buffer.shouldFlush() || (this.buffer.count === 0 && this.deadLetters.length > 0)) {
        await this.startWrite();
      }
    });
  }

  /**
   * Hands the buffer to a background write and returns once the previous write is done: reading goes on while
   * a batch is written (one write in flight per shard, so memory stays bounded and checkpoints stay in order).
   */
  private async startWrite(checkpointer = this.checkpointer): Promise<void> {
    await this.writing;
    this.throwWriteFailure();
    const target = this.lastRecord;
    if (!target || !checkpointer || this.lost) return;
    const batch: DetachedBatch<T> = {
      items: [...this.buffer.items],
      dead: this.deadLetters,
      encoded: this.encoded,
      target,
    };
    this.buffer.clear();
    this.deadLetters = [];
    this.encoded = new Map();
    this.detachedTarget = target;
    this.writing = this.write(batch, checkpointer).catch((error) => {
      this.writeFailure = error;
      this.o.logger.error('pipeline write failed; its records stay uncheckpointed', {
        shardId: this.shardId,
        error: (error as Error)?.message ?? String(error),
      });
    });
  }

  /** Writes what is buffered and waits for every write: shard end and shutdown. */
  private async drain(checkpointer: Checkpointer): Promise<void> {
    await this.startWrite(checkpointer);
    await this.writing;
    this.throwWriteFailure();
  }

  /** A write's failure (e.g. the checkpoint store's) is surfaced once, to the consumer, never swallowed. */
  private throwWriteFailure(): void {
    const failure = this.writeFailure;
    this.writeFailure = undefined;
    if (failure) throw failure;
  }

  /** Emits a batch, dead-letters what failed, then checkpoints the last handled record. */
  private async write(batch: DetachedBatch<T>, checkpointer: Checkpointer): Promise<void> {
    try {
      const failed = batch.items.length > 0 ? await this.emitWithRetries(batch.items, batch.encoded) : [];
      const dead = [...batch.dead, ...failed.map((f) => this.deadLetter(f.item.record, 'emit', f.error))];
      if (dead.length > 0) await this.untilStored(() => this.o.deadLetter.write(dead), 'dead-letter sink');
      this.o.observer?.emitted?.(this.shardId, batch.items.length - failed.length);
      if (dead.length > 0) this.o.observer?.deadLettered?.(this.shardId, dead.length);
    } catch (error) {
      if (!(error instanceof ShutdownAbandonedError)) throw error;
      this.o.logger.warn('destination still unavailable at shutdown: leaving the batch uncheckpointed', {
        shardId: this.shardId,
      });
      this.lost = true; // nothing after it may be checkpointed either
      return;
    }
    if (this.lost || batch.target === this.checkpointedRecord) return;
    await checkpointer.checkpoint(batch.target);
    this.checkpointedRecord = batch.target;
    this.o.observer?.checkpointed?.(this.shardId, batch.target.sequenceNumber);
  }

  /** Failed items are emitted again up to `emitAttempts` times; an unavailable destination is waited for. */
  private async emitWithRetries(items: BufferedItem<T>[], encoded: Map<T, Bytes>): Promise<FailedItem<T>[]> {
    const attempts = this.o.emitAttempts ?? 3;
    let pending = items;
    let failed: FailedItem<T>[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const batch = {
        streamName: this.o.streamName,
        shardId: this.shardId,
        items: pending,
        firstSequenceNumber: pending[0].record.sequenceNumber,
        lastSequenceNumber: pending.at(-1)!.record.sequenceNumber,
        toBytes: (model: T) => encoded.get(model) ?? this.o.transformer.toBytes(model),
      };
      failed = await this.untilStored(() => this.o.emitter.emit(batch), 'emitter');
      if (failed.length === 0) return [];
      this.o.observer?.emitFailed?.(this.shardId, new Error(failed[0].error), attempt);
      pending = failed.map((f) => f.item);
      if (attempt < attempts) await sleep(backoffDelay(attempt, this.o.backoff));
    }
    return failed;
  }

  /** Retries `call` while it throws (the destination is unavailable), with backoff; bounded only at shutdown. */
  private async untilStored<R>(call: () => Promise<R>, what: string): Promise<R> {
    for (let outage = 1; ; outage++) {
      try {
        return await call();
      } catch (error) {
        this.o.observer?.emitFailed?.(this.shardId, error, outage);
        if (Date.now() > this.stopDeadline || this.lost) throw new ShutdownAbandonedError();
        const delay = backoffDelay(outage, {
          baseMs: this.o.backoff?.baseMs ?? 200,
          maxMs: this.o.backoff?.maxMs ?? 10_000,
        });
        this.o.logger.warn(`${what} unavailable; retrying, nothing is checkpointed meanwhile`, {
          shardId: this.shardId,
          attempt: outage,
          delayMs: delay,
          error: (error as Error)?.message ?? String(error),
        });
        await sleep(Math.min(delay, Math.max(0, this.stopDeadline - Date.now())));
      }
    }
  }

  private deadLetter(
    record: KinesisRecord,
    stage: DeadLetterEntry['stage'],
    error: unknown,
  ): DeadLetterEntry {
    return {
      streamName: this.o.streamName,
      shardId: this.shardId,
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
      partitionKey: record.partitionKey,
      data: record.data.toString('base64'),
      stage,
      error: error instanceof Error ? error.message : String(error),
      at: new Date().toISOString(),
    };
  }

  /** Batches, age flushes and shutdown never interleave on a shard. */
  private exclusive(work: () => Promise<void>): Promise<void> {
    const run = this.lock.then(work);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
