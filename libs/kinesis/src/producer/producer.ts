import { PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { ProducerClosedError, PutRecordError, type FailedRecord } from '../errors.js';
import type { Logger } from '../logger.js';
import { AggregationRouter } from './aggregation-router.js';
import { plainEntry, type Entry, type PendingPut, type PutResult } from './entry.js';
import { reportPutOutcome } from './producer-telemetry.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './options.js';
import {
  callErrorCode,
  fullJitterDelay,
  isRetryableCallError,
  isRetryableEntryError,
} from './retry-policy.js';
import { FifoQueue, LaneQueue, type SendQueue } from './send-queue.js';
import { validateRecord, type ProducerRecord, type UserRecord } from './validate.js';

/**
 * Puts records into one Kinesis stream through batched PutRecords calls.
 *
 * A put waits at most `lingerMs` for others to share its call (a full batch goes at once); up to
 * `maxInFlight` calls run at a time. Failed entries, and only those, are retried with backoff until
 * `retryTimeoutMs`; then (or at once for an error no retry can cure) the put rejects with PutRecordError.
 *
 * Timers: the producer holds none while idle. The linger and backoff timers stay referenced on purpose:
 * they guard records not yet stored, and unref'ing them would let `await producer.put(...)` in a script
 * exit with the record lost. All of them end, bounded by lingerMs and retryTimeoutMs.
 */
export class Producer {
  private readonly options: ResolvedProducerOptions;
  private readonly logger: Logger;
  private readonly queue: SendQueue;
  /** Set when aggregation is on. */
  private readonly router: AggregationRouter | undefined;
  /** Every put not yet settled: what flush() waits for. */
  private readonly pending = new Set<Promise<PutResult>>();
  private inFlight = 0;
  private flushing = 0;
  private closed = false;
  /** When the queue's waiting entries have lingered enough; undefined while nothing is ready. */
  private queueDueAt: number | undefined;
  /** When the open aggregates must be sealed; undefined while they are empty. */
  private aggregatesDueAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private timerAt: number | undefined;

  constructor(options: ProducerOptions) {
    this.options = resolveProducerOptions(options);
    this.logger = this.options.logger;
    this.queue = this.options.preserveOrder ? new LaneQueue() : new FifoQueue();
    if (this.options.aggregateBytes !== undefined) {
      const { client, streamName, preserveOrder, aggregateBytes: maxBytes } = this.options;
      this.router = new AggregationRouter(
        { client, streamName, preserveOrder, maxBytes, logger: this.logger },
        // Records that waited for the first shard map, now routed.
        (entries) => {
          this.routed(entries);
          this.pump();
        },
      );
    }
  }

  get streamName(): string {
    return this.options.streamName;
  }

  /** Resolves once Kinesis stored the record; rejects with a typed error (nothing else is affected). */
  put(record: ProducerRecord): Promise<PutResult> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    let user: UserRecord;
    try {
      user = validateRecord(record, this.options.maxRecordBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    let put!: PendingPut;
    const promise = new Promise<PutResult>((resolve, reject) => (put = { record: user, resolve, reject }));
    this.pending.add(promise);
    const forget = () => void this.pending.delete(promise);
    promise.then(forget, forget);
    if (this.router) this.routed(this.router.route(put));
    else this.enqueue([plainEntry(put, this.options.preserveOrder ? user.partitionKey : undefined)]);
    this.pump(true);
    return promise;
  }

  /** Sends everything buffered now and resolves when every put made before the call is settled. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const waiting = [...this.pending];
    this.flushing++;
    try {
      this.pump();
      await Promise.allSettled(waiting);
    } finally {
      this.flushing--;
    }
  }

  /** Refuses new puts (ProducerClosedError), then flushes. The client stays open: it is the caller's. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.disarm();
  }

  /** Aggregation: queues what routing sealed; the open aggregates' linger starts with their first record. */
  private routed(entries: Entry[]): void {
    this.enqueue(entries);
    if (this.router!.buffered > 0) this.aggregatesDueAt ??= Date.now() + this.options.lingerMs;
  }

  /** `due`: the entries already waited (a sealed linger, a retry), so they need not linger again. */
  private enqueue(entries: Entry[], due = false): void {
    if (entries.length === 0) return;
    for (const entry of entries) this.queue.push(entry);
    const now = Date.now();
    this.queueDueAt = due
      ? Math.min(this.queueDueAt ?? now, now)
      : (this.queueDueAt ?? now + this.options.lingerMs);
  }

  /**
   * Starts every call that is due and the in-flight limit allows, then arms the linger timer. From `put`
   * only full batches go: a caller putting in a loop yields to the timer only after the loop, so whatever
   * the loop put shares calls instead of being cut into pieces by the clock.
   */
  private pump(fromPut = false): void {
    const { maxInFlight, maxBatchRecords, maxBatchBytes } = this.options;
    const now = Date.now();
    const timely = !fromPut;
    if (timely && this.aggregatesDueAt !== undefined && (this.flushing > 0 || now >= this.aggregatesDueAt)) {
      this.aggregatesDueAt = undefined;
      this.enqueue(this.router!.sealAll(), true);
    }
    while (this.inFlight < maxInFlight && this.queue.readyCount > 0) {
      const full = this.queue.readyCount >= maxBatchRecords || this.queue.readyBytes >= maxBatchBytes;
      const due = this.flushing > 0 || (this.queueDueAt !== undefined && now >= this.queueDueAt);
      if (!full && !(timely && due)) break;
      const batch = this.queue.take(maxBatchRecords, maxBatchBytes);
      if (this.queue.readyCount === 0) this.queueDueAt = undefined;
      void this.send(batch);
    }
    this.arm(now);
  }

  private arm(now: number): void {
    let at = this.aggregatesDueAt;
    if (
      this.queueDueAt !== undefined &&
      this.queue.readyCount > 0 &&
      this.inFlight < this.options.maxInFlight
    ) {
      at = Math.min(at ?? Infinity, this.queueDueAt);
    }
    if (at === this.timerAt) return;
    this.disarm();
    if (at === undefined) return;
    this.timerAt = at;
    const fire = () => {
      this.timer = this.immediate = this.timerAt = undefined;
      this.pump();
    };
    // Due now (lingerMs 0): setImmediate still gathers what this turn of the event loop puts, without the
    // >= 1 ms clamp of setTimeout(0), which a request/reply round trip pays on both of its puts.
    if (at - now <= 0) this.immediate = setImmediate(fire);
    else this.timer = setTimeout(fire, at - now);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = this.immediate = this.timerAt = undefined;
  }

  private async send(batch: Entry[]): Promise<void> {
    this.inFlight++;
    const started = Date.now();
    for (const entry of batch) {
      entry.attempts++;
      entry.deadline ??= started + this.options.retryTimeoutMs;
    }
    try {
      let output: PutRecordsCommandOutput;
      try {
        output = await this.options.client.send(
          new PutRecordsCommand({
            StreamName: this.options.streamName,
            Records: batch.map((e) => ({
              Data: e.data,
              PartitionKey: e.partitionKey,
              ExplicitHashKey: e.explicitHashKey,
            })),
          }),
        );
      } catch (error) {
        this.callFailed(batch, error);
        return;
      }
      this.settle(batch, output);
    } catch (error) {
      // A bug here must not leave puts hanging forever.
      this.logger.error('producer failed to settle a PutRecords call', { error });
      for (const entry of batch) for (const put of entry.puts) put.reject(error);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  private settle(batch: Entry[], output: PutRecordsCommandOutput): void {
    const results = output.Records ?? [];
    const retry: Entry[] = [];
    const stored: Entry[] = [];
    const failures: Record<string, number> = {};
    let givenUp = 0;
    let resharded = false;
    batch.forEach((entry, i) => {
      const result = results[i];
      if (result?.SequenceNumber && result.ShardId && !result.ErrorCode) {
        resharded ||= entry.predictedShardId !== undefined && result.ShardId !== entry.predictedShardId;
        stored.push(entry);
        return this.succeed(entry, result.ShardId, result.SequenceNumber);
      }
      const code = result?.ErrorCode ?? 'InternalFailure';
      failures[code] = (failures[code] ?? 0) + 1;
      if (isRetryableEntryError(code) && Date.now() < entry.deadline!) return void retry.push(entry);
      givenUp++;
      this.fail(entry, code, result?.ErrorMessage ?? 'no result for this entry');
    });
    reportPutOutcome(this.options.streamName, { stored, failures, retried: retry.length });
    if (givenUp > 0 || retry.length > 0) {
      const context = { streamName: this.options.streamName, failures, retrying: retry.length, givenUp };
      this.logger[givenUp > 0 ? 'warn' : 'debug']('PutRecords partially failed', context);
    }
    if (retry.length > 0) this.retryLater(retry);
    if (resharded) this.router!.reloadShardMap();
  }

  private callFailed(batch: Entry[], error: unknown): void {
    const code = callErrorCode(error);
    const retryable = isRetryableCallError(error);
    const message = error instanceof Error ? error.message : String(error);
    const now = Date.now();
    const retry: Entry[] = [];
    for (const entry of batch) {
      if (retryable && now < entry.deadline!) retry.push(entry);
      else this.fail(entry, code, message, error);
    }
    reportPutOutcome(this.options.streamName, { stored: [], failures: { [code]: 1 }, retried: retry.length });
    const context = { streamName: this.options.streamName, error: code, retryable, retrying: retry.length };
    this.logger[retry.length < batch.length ? 'warn' : 'debug']('PutRecords call failed', context);
    if (retry.length > 0) this.retryLater(retry);
  }

  private succeed(entry: Entry, shardId: string, sequenceNumber: string): void {
    this.release(entry);
    entry.puts.forEach((put, index) =>
      put.resolve(
        entry.aggregated
          ? { shardId, sequenceNumber, subSequenceNumber: index }
          : { shardId, sequenceNumber },
      ),
    );
  }

  private fail(entry: Entry, errorCode: string, message: string, cause?: unknown): void {
    this.release(entry);
    for (const put of entry.puts) {
      const { data, partitionKey, explicitHashKey } = put.record;
      const record: FailedRecord =
        explicitHashKey === undefined ? { data, partitionKey } : { data, partitionKey, explicitHashKey };
      put.reject(
        new PutRecordError(
          record,
          errorCode,
          entry.attempts,
          message,
          cause === undefined ? undefined : { cause },
        ),
      );
    }
  }

  /** The entry's lane may move on; whatever it held back has waited long enough. */
  private release(entry: Entry): void {
    this.queue.release(entry);
    if (this.queue.readyCount > 0) this.queueDueAt ??= Date.now();
  }

  /** One jittered delay for the entries of one failed call, never past the earliest deadline. */
  private retryLater(entries: Entry[]): void {
    const now = Date.now();
    let attempts = 0;
    let remaining = Infinity;
    for (const entry of entries) {
      attempts = Math.max(attempts, entry.attempts);
      remaining = Math.min(remaining, entry.deadline! - now);
    }
    const { baseMs, maxMs } = this.options.backoff;
    const delay = Math.min(fullJitterDelay(attempts, baseMs, maxMs), Math.max(0, remaining));
    setTimeout(() => {
      // Backwards, so that after the unshifts the entries are first again in their original order.
      for (let i = entries.length - 1; i >= 0; i--) this.queue.requeue(entries[i]);
      this.queueDueAt = Math.min(this.queueDueAt ?? Infinity, Date.now());
      this.pump();
    }, delay);
  }
}
