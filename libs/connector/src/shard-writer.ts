/**
 * The write half of a shard's pipeline: emit a detached batch (retrying failed items, then dead-lettering them),
 * store the dead letters, then checkpoint the batch's last handled record. An unavailable destination is retried
 * with backoff until it answers, bounded only by the shard's stop deadline.
 */
import type { Buffer as Bytes } from 'node:buffer';
import {
  backoffDelay,
  errorForLog,
  KinesisError,
  sleep,
  type Checkpointer,
  type KinesisRecord,
  type Logger,
} from '../../kinesis/src/index.js';
import { BatchWriteTrace } from './connector-telemetry.js';
import type { BufferedItem, DeadLetterEntry, EmitBatch, FailedItem } from './interfaces.js';
import { PIPELINE_DEFAULTS, type PipelineOptions } from './pipeline-options.js';
import { deadLetterEntry, ownFailures, reasonOf } from './pipeline-steps.js';

/** A buffer's content handed to a write. */
export interface DetachedBatch<T> {
  items: BufferedItem<T>[];
  dead: DeadLetterEntry[];
  encoded: Map<T, Bytes>;
  /** Everything up to this record is in the batch, filtered out, empty, or dead-lettered. */
  target: KinesisRecord;
}

/**
 * Whether a shard may still checkpoint, shared by its processor and its writer. Once halted (lease lost, shutdown
 * abandoned, an unguarded failure) nothing is checkpointed any more: what is not stored is re-read after a restart.
 */
export class ShardHalt {
  /** Why nothing may be checkpointed any more; undefined while the shard may. */
  reason: string | undefined;
  /** Past this (epoch ms, set at shutdown) an unavailable destination is no longer waited for. */
  stopDeadline = Infinity;

  constructor(
    private readonly shardId: () => string,
    private readonly logger: Logger,
    private readonly onHalt: () => void,
  ) {}

  set(reason: string, error?: unknown): void {
    if (this.reason) return;
    this.reason = reason;
    this.onHalt();
    this.logger.error(`pipeline halted: ${reason}; nothing more is checkpointed on this shard`, {
      shardId: this.shardId(),
      ...(error === undefined ? {} : { error: errorForLog(reasonOf(error)) }),
    });
  }
}

/** Internal: the stop deadline passed while the destination was still unavailable. */
class ShutdownAbandonedError extends KinesisError {}

export class ShardWriter<T> {
  private checkpointedRecord: KinesisRecord | undefined;

  constructor(
    private readonly o: PipelineOptions<T>,
    private readonly shardId: string,
    private readonly halt: ShardHalt,
  ) {}

  /** Emits a batch, dead-letters what failed, then checkpoints the last handled record. */
  async write(batch: DetachedBatch<T>, checkpointer: Checkpointer): Promise<void> {
    let emitted: number;
    let failedCount: number;
    let dead: DeadLetterEntry[];
    const records = new Set(batch.items.map((item) => item.record));
    const trace = new BatchWriteTrace(this.o.streamName, this.shardId, records, batch.items.length);
    try {
      const failed =
        batch.items.length > 0 ? await this.emitWithRetries(batch.items, batch.encoded, trace) : [];
      if (this.halt.reason) return trace.end({ errorType: 'halted' }); // given up meanwhile: store nothing more
      const where = { streamName: this.o.streamName, shardId: this.shardId };
      dead = [
        ...batch.dead,
        ...failed.map((f) => deadLetterEntry(where, f.item.record, 'emit', f.error, f.item.modelIndex)),
      ];
      if (dead.length > 0) await this.untilStored(() => this.o.deadLetter.write(dead), 'dead-letter sink');
      emitted = batch.items.length - failed.length;
      failedCount = failed.length;
    } catch (error) {
      trace.end({ errorType: error instanceof ShutdownAbandonedError ? 'abandoned' : 'error' });
      if (error instanceof ShutdownAbandonedError) {
        this.o.logger.warn('destination still unavailable at shutdown: leaving the batch uncheckpointed', {
          shardId: this.shardId,
        });
        this.halt.set('shutdown abandoned an unstored batch');
        return;
      }
      this.halt.set('a write failed before its records were stored', error);
      throw error;
    }
    trace.end(
      this.halt.reason
        ? { errorType: 'halted' }
        : { emitted, failed: failedCount, deadLettered: dead.length },
    );
    if (this.halt.reason) return;
    this.o.observer?.emitted?.(this.shardId, emitted);
    if (dead.length > 0) this.o.observer?.deadLettered?.(this.shardId, dead.length);
    if (batch.target === this.checkpointedRecord) return;
    // A failing store is surfaced; the records are stored, so a later checkpoint may cover them.
    await checkpointer.checkpoint(batch.target);
    this.checkpointedRecord = batch.target;
    this.o.observer?.checkpointed?.(this.shardId, batch.target.sequenceNumber);
  }

  /** Failed items are emitted again up to `emitAttempts` times; an unavailable destination is waited for. */
  private async emitWithRetries(
    items: BufferedItem<T>[],
    encoded: Map<T, Bytes>,
    trace: BatchWriteTrace,
  ): Promise<FailedItem<T>[]> {
    const attempts = this.o.emitAttempts ?? PIPELINE_DEFAULTS.emitAttempts;
    let pending = items;
    let failed: FailedItem<T>[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const batch: EmitBatch<T> = {
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
      if (attempt < attempts) {
        trace.retrying(failed.length);
        await sleep(backoffDelay(attempt, this.backoff));
      }
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
        const deadline = this.halt.stopDeadline;
        if (Date.now() > deadline || this.halt.reason)
          throw new ShutdownAbandonedError('the destination was still unavailable at the stop deadline');
        const delay = backoffDelay(outage, this.backoff);
        this.o.logger.warn(`${what} unavailable; retrying, nothing is checkpointed meanwhile`, {
          shardId: this.shardId,
          attempt: outage,
          delayMs: delay,
          error: errorForLog(error),
        });
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      }
    }
  }

  private get backoff() {
    return { ...PIPELINE_DEFAULTS.backoff, ...definedOnly(this.o.backoff) };
  }
}

/** `{ baseMs: undefined }` must not erase a default. */
function definedOnly<O extends object>(options: O | undefined): Partial<O> {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined)) as Partial<O>;
}
