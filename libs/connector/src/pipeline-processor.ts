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
  private readonly encoded = new Map<T, Bytes>();
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
      let filtered = 0;
      for (const record of records) {
        filtered += this.take(record);
        this.lastRecord = record;
        if (this.buffer.shouldFlush()) await this.flush();
      }
      if (filtered) this.o.observer?.filtered?.(this.shardId, filtered);
      // Dead letters with nothing buffered to ride along with, or only filtered records: settle them now.
      if (this.buffer.count === 0 && this.lastRecord !== this.checkpointedRecord) await this.flush();
    });
  }

  leaseLost(): void {
    // Another worker owns the shard: drop the buffer, checkpoint nothing.
    this.lost = true;
    clearInterval(this.timer);
    this.buffer?.clear();
    this.encoded.clear();
    this.deadLetters = [];
  }

  shardEnded({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    clearInterval(this.timer);
    return this.exclusive(async () => {
      await this.flush(checkpointer);
      await checkpointer.checkpoint(); // SHARD_END: the children may start
    });
  }

  shutdownRequested({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    clearInterval(this.timer);
    this.stopDeadline = Date.now() + (this.o.shutdownTimeoutMs ?? 10_000);
    return this.exclusive(() => this.flush(checkpointer));
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
      if (this.buffer.shouldFlush() || (this.buffer.count === 0 && this.deadLetters.length > 0))
        await this.flush();
    });
  }

  /** Emits the buffer, dead-letters what failed, then checkpoints the last handled record. */
  private async flush(checkpointer = this.checkpointer): Promise<void> {
    const target = this.lastRecord;
    if (!target || !checkpointer || this.lost) return;
    try {
      const items = [...this.buffer.items];
      const failed = items.length > 0 ? await this.emitWithRetries(items) : [];
      const dead = [
        ...this.deadLetters,
        ...failed.map((f) => this.deadLetter(f.item.record, 'emit', f.error)),
      ];
      if (dead.length > 0) await this.untilStored(() => this.o.deadLetter.write(dead), 'dead-letter sink');
      this.o.observer?.emitted?.(this.shardId, items.length - failed.length);
      if (dead.length > 0) this.o.observer?.deadLettered?.(this.shardId, dead.length);
    } catch (error) {
      if (!(error instanceof ShutdownAbandonedError)) throw error;
      this.o.logger.warn('destination still unavailable at shutdown: leaving the batch uncheckpointed', {
        shardId: this.shardId,
      });
      return;
    }
    this.buffer.clear();
    this.encoded.clear();
    this.deadLetters = [];
    if (target === this.checkpointedRecord) return;
    await checkpointer.checkpoint(target);
    this.checkpointedRecord = target;
    this.o.observer?.checkpointed?.(this.shardId, target.sequenceNumber);
  }

  /** Failed items are emitted again up to `emitAttempts` times; an unavailable destination is waited for. */
  private async emitWithRetries(items: BufferedItem<T>[]): Promise<FailedItem<T>[]> {
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
        toBytes: (model: T) => this.encoded.get(model) ?? this.o.transformer.toBytes(model),
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
