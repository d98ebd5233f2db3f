import type { Buffer as Bytes } from 'node:buffer';
import {
  errorForLog,
  type Checkpointer,
  type InitializeInput,
  type KinesisRecord,
  type ProcessRecordsInput,
  type RecordProcessor,
} from '../../kinesis/src/index.js';
import { PipelineHaltedError } from './errors.js';
import type { RecordBatchBuffer, DeadLetterEntry } from './interfaces.js';
import { PIPELINE_DEFAULTS, type PipelineOptions } from './pipeline-options.js';
import { settledUnlessAborted, takeRecord } from './pipeline-steps.js';
import { ShardHalt, ShardWriter, type DetachedBatch } from './shard-writer.js';

export { PIPELINE_DEFAULTS, type PipelineOptions } from './pipeline-options.js';

/**
 * One shard's pipeline: transform, filter, encode (each guarded per record), buffer; on a threshold emit
 * (retrying failed items, then dead-lettering them), then checkpoint the last record that was emitted,
 * dead-lettered, filtered out or empty. Never past anything else: an unavailable destination blocks the shard
 * (backpressure) and moves nothing, and once anything goes wrong outside the per-record guards (a bug, an
 * abandoned shutdown, a lost lease) the processor is halted: it checkpoints nothing more.
 */
export class PipelineProcessor<T> implements RecordProcessor {
  private shardId = '';
  private buffer!: RecordBatchBuffer<T>;
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
  private checkpointer: Checkpointer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lock: Promise<void> = Promise.resolve();
  /** Why nothing may be checkpointed any more, and the stop deadline: shared with the writer. */
  private readonly halt: ShardHalt;
  private writer!: ShardWriter<T>;
  /** The reading's abort signal already watched (one listener per signal, not per call). */
  private watchedSignal: AbortSignal | undefined;

  constructor(private readonly o: PipelineOptions<T>) {
    this.halt = new ShardHalt(
      () => this.shardId,
      o.logger,
      () => clearInterval(this.timer),
    );
  }

  initialize({ shardId }: InitializeInput): void {
    this.shardId = shardId;
    this.buffer = this.o.bufferFactory(shardId);
    this.writer = new ShardWriter(this.o, shardId, this.halt);
    this.timer = setInterval(
      () => void this.flushIfDue().catch(() => undefined),
      this.o.ageCheckIntervalMs ?? PIPELINE_DEFAULTS.ageCheckIntervalMs,
    );
    this.timer.unref();
  }

  processRecords({ records, millisBehindLatest, checkpointer, signal }: ProcessRecordsInput): Promise<void> {
    this.checkpointer = checkpointer;
    this.stopAgeFlushesOnAbort(signal);
    return this.exclusive(async () => {
      if (this.halt.reason) throw new PipelineHaltedError(this.shardId, this.halt.reason);
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
        this.halt.set('a pipeline step failed outside the per-record guards', error);
        throw error;
      }
      this.throwWriteFailure(); // after this call's records are taken: surfacing it skips none of them
    });
  }

  leaseLost(): void {
    // Another worker owns the shard: drop the buffer, checkpoint nothing.
    this.halt.reason ??= 'lease lost';
    clearInterval(this.timer);
    this.buffer?.clear();
    this.encoded = new Map();
    this.deadLetters = [];
  }

  shardEnded({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    clearInterval(this.timer);
    return this.exclusive(async () => {
      await this.drain(checkpointer);
      if (this.halt.reason) return; // records were left unstored: the shard is not finished
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
    const stopDeadline = Date.now() + (this.o.shutdownTimeoutMs ?? PIPELINE_DEFAULTS.shutdownTimeoutMs);
    this.halt.stopDeadline = stopDeadline;
    const drained = this.exclusive(() => this.drain(checkpointer)).then(() => 'drained' as const);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), Math.max(0, stopDeadline - Date.now()));
    });
    try {
      if ((await Promise.race([drained, expired])) === 'expired') {
        this.halt.set('shutdown deadline passed with a write unsettled');
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
      if (this.halt.reason || this.writeInFlight) return;
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
    if (!target || !checkpointer || this.halt.reason) return;
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
    this.writing = this.writer
      .write(batch, checkpointer)
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

  /** Batches, age flushes and shutdown never interleave on a shard. */
  private exclusive(work: () => Promise<void>): Promise<void> {
    const run = this.lock.then(work);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
