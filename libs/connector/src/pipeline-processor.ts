import type { Buffer as Bytes } from 'node:buffer';
import {
  backoffDelay,
  errorForLog,
  sleep,
  type Checkpointer,
  type InitializeInput,
  type KinesisRecord,
  type Logger,
  type ProcessRecordsInput,
  type RecordProcessor,
} from '../../kinesis/src/index.js';
import { PipelineHaltedError } from './errors.js';
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
import {
  deadLetterEntry,
  ownFailures,
  reasonOf,
  settledUnlessAborted,
  takeRecord,
} from './pipeline-steps.js';

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
  /**
   * On shutdown, how long the last write (emit, dead letters, checkpoint) is waited for, ms (default 10,000).
   * Past it, shutdownRequested returns and what was not stored stays uncheckpointed (re-read after a restart).
   */
  shutdownTimeoutMs?: number;
}

class ShutdownAbandonedError extends Error {}

/** A buffer's content handed to a write. */
interface DetachedBatch<T> {
  items: BufferedItem<T>[];
  dead: DeadLetterEntry[];
  encoded: Map<T, Bytes>;
  /** Everything up to this record is in the batch, filtered out, empty, or dead-lettered. */
  target: KinesisRecord;
}

/**
 * One shard's pipeline: transform, filter, encode (each guarded per record), buffer; on a threshold emit
 * (retrying failed items, then dead-lettering them), then checkpoint the last record that was emitted,
 * dead-lettered, filtered out or empty. Never past anything else: an unavailable destination blocks the shard
 * (backpressure) and moves nothing, and once anything goes wrong outside the per-record guards (a bug, an
 * abandoned shutdown, a lost lease) the processor is halted: it checkpoints nothing more.
 */
export class PipelineProcessor<T> implements RecordProcessor {
  private shardId = '';
  private buffer!: Buffer<T>;
  private deadLetters: DeadLetterEntry[] = [];
  /** toBytes of the buffered models, computed when they were buffered. */
  private encoded = new Map<T, Bytes>();
  /** The write in flight (one per shard), its failure, and the last record handed to a write. */
  private writing: Promise<void> = Promise.resolve();
  private writeInFlight = false;
  private writeFailure: unknown;
  private detachedTarget: KinesisRecord | undefined;
  /** The last record fully handled (buffered, filtered or dead-letter pending): the next checkpoint target. */
  private lastRecord: KinesisRecord | undefined;
  private checkpointedRecord: KinesisRecord | undefined;
  private checkpointer: Checkpointer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lock: Promise<void> = Promise.resolve();
  private stopDeadline = Infinity;
  /** Why nothing may be checkpointed any more (lease lost, shutdown abandoned, an unguarded failure). */
  private halted: string | undefined;
  /** The reading's abort signal already watched (one listener per signal, not per call). */
  private watchedSignal: AbortSignal | undefined;

  constructor(private readonly o: PipelineOptions<T>) {}

  initialize({ shardId }: InitializeInput): void {
    this.shardId = shardId;
    this.buffer = this.o.bufferFactory(shardId);
    this.timer = setInterval(
      () => void this.flushIfDue().catch(() => undefined),
      this.o.ageCheckIntervalMs ?? 250,
    );
    this.timer.unref();
  }

  processRecords({ records, millisBehindLatest, checkpointer, signal }: ProcessRecordsInput): Promise<void> {
    this.checkpointer = checkpointer;
    this.stopAgeFlushesOnAbort(signal);
    return this.exclusive(async () => {
      if (this.halted) throw new PipelineHaltedError(this.shardId, this.halted);
      try {
        this.o.observer?.recordsIn?.(this.shardId, records.length, millisBehindLatest);
        let filtered = 0;
        let empty = 0;
        for (const record of records) {
          // Reading ended while we waited for a write: the records not taken are re-read, never checkpointed.
          if (signal?.aborted) break;
          const taken = takeRecord(record, { ...this.o, shardId: this.shardId });
          taken.items.forEach((item, i) => {
            this.encoded.set(item.model, taken.encoded[i]); // the emitter asks again: encode each model once
            this.buffer.add(item);
          });
          this.deadLetters.push(...taken.dead);
          filtered += taken.filtered;
          if (taken.empty) empty++;
          this.lastRecord = record;
          if (this.buffer.shouldFlush()) await this.startWrite(this.checkpointer, signal);
        }
        if (filtered) this.o.observer?.filtered?.(this.shardId, filtered);
        if (empty) this.o.observer?.empty?.(this.shardId, empty);
        // Dead letters with nothing buffered to ride along with, or only filtered records: settle them too.
        if (this.buffer.count === 0 && this.lastRecord !== this.detachedTarget) {
          await this.startWrite(this.checkpointer, signal);
        }
      } catch (error) {
        // Not a record's content (every per-record step is guarded): a bug or a broken part. Records of this
        // call may be half taken, so nothing after them may be checkpointed.
        this.halt('a pipeline step failed outside the per-record guards', error);
        throw error;
      }
      this.throwWriteFailure(); // after this call's records are taken: surfacing it skips none of them
    });
  }

  leaseLost(): void {
    // Another worker owns the shard: drop the buffer, checkpoint nothing.
    this.halted ??= 'lease lost';
    clearInterval(this.timer);
    this.buffer?.clear();
    this.encoded = new Map();
    this.deadLetters = [];
  }

  shardEnded({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    clearInterval(this.timer);
    return this.exclusive(async () => {
      await this.drain(checkpointer);
      if (this.halted) return; // records were left unstored: the shard is not finished
      await checkpointer.checkpoint(); // SHARD_END: the children may start
    });
  }

  /**
   * Writes what is buffered and checkpoints it, bounded by `shutdownTimeoutMs` whatever the emitter, the
   * dead-letter sink or the checkpoint store do (even a promise that never settles): past the deadline the
   * processor is halted and returns, and the unstored records are re-read after a restart.
   */
  async shutdownRequested({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    clearInterval(this.timer);
    this.stopDeadline = Date.now() + (this.o.shutdownTimeoutMs ?? 10_000);
    const drained = this.exclusive(() => this.drain(checkpointer)).then(() => 'drained' as const);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), Math.max(0, this.stopDeadline - Date.now()));
    });
    try {
      if ((await Promise.race([drained, expired])) === 'expired') {
        this.halt('shutdown deadline passed with a write unsettled');
        drained.catch(() => undefined); // settles (or not) after we are gone
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The timer's age check. It never waits for a write in flight (the next one starts with the next due check
   * or record): holding the shard's lock while a write retries an outage would queue processRecords behind it,
   * where the reading's abort cannot reach it, so shutdownRequested and its deadline would never come.
   */
  private flushIfDue(): Promise<void> {
    if (this.writeInFlight) return Promise.resolve();
    return this.exclusive(async () => {
      if (this.halted || this.writeInFlight) return;
      if (this.buffer.shouldFlush() || (this.buffer.count === 0 && this.deadLetters.length > 0)) {
        await this.startWrite();
      }
    });
  }

  /**
   * Hands the buffer to a background write and returns once the previous write is done: reading goes on while
   * a batch is written (one write in flight per shard, so memory stays bounded and checkpoints stay in order).
   */
  private async startWrite(checkpointer = this.checkpointer, signal?: AbortSignal): Promise<void> {
    // The previous write may never settle: a reading that ends (signal) stops waiting; shutdown bounds the rest.
    if (!(await settledUnlessAborted(this.writing, signal))) return;
    const target = this.lastRecord;
    if (!target || !checkpointer || this.halted) return;
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
    this.writeInFlight = true;
    this.writing = this.write(batch, checkpointer)
      .catch((error) => {
        this.writeFailure = error;
        this.o.logger.error('pipeline write failed; its records stay uncheckpointed', {
          shardId: this.shardId,
          error: errorForLog(error),
        });
      })
      .finally(() => (this.writeInFlight = false));
  }

  /**
   * Once the shard's reading ends (stop, lease lost or handed over, the consumer gave up on it) no age flush
   * starts a write any more: the lifecycle call that follows (shutdownRequested, leaseLost, shardEnded) settles
   * the buffer, and a consumer that gave up calls none, so nothing is written behind its back.
   */
  private stopAgeFlushesOnAbort(signal: AbortSignal | undefined): void {
    if (!signal || signal === this.watchedSignal) return;
    this.watchedSignal = signal;
    if (signal.aborted) return void clearInterval(this.timer);
    signal.addEventListener('abort', () => clearInterval(this.timer), { once: true });
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
    let emitted: number;
    let dead: DeadLetterEntry[];
    try {
      const failed = batch.items.length > 0 ? await this.emitWithRetries(batch.items, batch.encoded) : [];
      if (this.halted) return; // given up meanwhile (shutdown deadline): store nothing more
      const where = { streamName: this.o.streamName, shardId: this.shardId };
      dead = [
        ...batch.dead,
        ...failed.map((f) => deadLetterEntry(where, f.item.record, 'emit', f.error, f.item.modelIndex)),
      ];
      if (dead.length > 0) await this.untilStored(() => this.o.deadLetter.write(dead), 'dead-letter sink');
      emitted = batch.items.length - failed.length;
    } catch (error) {
      if (error instanceof ShutdownAbandonedError) {
        this.o.logger.warn('destination still unavailable at shutdown: leaving the batch uncheckpointed', {
          shardId: this.shardId,
        });
        this.halt('shutdown abandoned an unstored batch');
        return;
      }
      this.halt('a write failed before its records were stored', error);
      throw error;
    }
    if (this.halted) return;
    this.o.observer?.emitted?.(this.shardId, emitted);
    if (dead.length > 0) this.o.observer?.deadLettered?.(this.shardId, dead.length);
    if (batch.target === this.checkpointedRecord) return;
    // A failing store is surfaced; the records are stored, so a later checkpoint may cover them.
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
      const returned = await this.untilStored(async () => {
        const result = await this.o.emitter.emit(batch);
        // What was written is unknown when an emitter answers something else: treat it as a failed call.
        if (!Array.isArray(result)) throw new TypeError('emitter returned no list of failed items');
        return result;
      }, 'emitter');
      failed = ownFailures(pending, returned);
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
        if (Date.now() > this.stopDeadline || this.halted) throw new ShutdownAbandonedError();
        const delay = backoffDelay(outage, {
          baseMs: this.o.backoff?.baseMs ?? 200,
          maxMs: this.o.backoff?.maxMs ?? 10_000,
        });
        this.o.logger.warn(`${what} unavailable; retrying, nothing is checkpointed meanwhile`, {
          shardId: this.shardId,
          attempt: outage,
          delayMs: delay,
          error: errorForLog(error),
        });
        await sleep(Math.min(delay, Math.max(0, this.stopDeadline - Date.now())));
      }
    }
  }

  /** From now on nothing is checkpointed: what is not stored is re-read after a restart. */
  private halt(reason: string, error?: unknown): void {
    if (this.halted) return;
    this.halted = reason;
    clearInterval(this.timer);
    this.o.logger.error(`pipeline halted: ${reason}; nothing more is checkpointed on this shard`, {
      shardId: this.shardId,
      ...(error === undefined ? {} : { error: errorForLog(reasonOf(error)) }),
    });
  }

  /** Batches, age flushes and shutdown never interleave on a shard. */
  private exclusive(work: () => Promise<void>): Promise<void> {
    const run = this.lock.then(work);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
