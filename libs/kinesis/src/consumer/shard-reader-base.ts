import type { _Record, ChildShard, KinesisClient, StartingPosition } from '@aws-sdk/client-kinesis';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff.js';
import type { Logger } from '../logger.js';
import type { Checkpoint, CheckpointStore, KinesisRecord, RecordProcessor, StartPosition } from '../types.js';
import { isShardEnd, LATEST, TRIM_HORIZON } from '../types.js';
import { ShardReadTracker, type ShardReadState } from './consumer-health.js';
import { comparePositions, isSequenceNumber, toUserRecords } from './records.js';
import { ShardCheckpointer } from './shard-checkpointer.js';
import { instruments, messagingAttributes, observeLag } from '../telemetry/index.js';
import { reportRecordsRead } from './consumer-telemetry.js';

export interface ShardReaderOptions {
  client: KinesisClient;
  streamName: string;
  shardId: string;
  processor: RecordProcessor;
  store: CheckpointStore;
  startPosition: StartPosition;
  pollIntervalMs: number;
  maxRecordsPerCall: number;
  maxBytesPerCall: number;
  throttleBackoff: BackoffOptions;
  callProcessRecordsEvenForEmptyRecordList: boolean;
  logger: Logger;
  onThrottled(shardId: string): void;
  onError(error: unknown, shardId: string): void;
}

export type ShardReaderOutcome =
  | { kind: 'ended'; finished: boolean; childShards: ChildShard[] }
  | { kind: 'stopped' }
  | { kind: 'leaseLost' };

/**
 * What every shard reader does around its reading (polling or enhanced fan-out): the processor's lifecycle
 * (initialize from the checkpoint, then shardEnded, shutdownRequested or leaseLost), the checkpointer, where
 * reading starts, dropping the sub-records processed before a restart, delivery, and backoff. A subclass only
 * reads the shard and hands each response's records to `deliver`.
 */
export abstract class ShardReaderBase<O extends ShardReaderOptions = ShardReaderOptions> {
  protected readonly abort = new AbortController();
  protected stopping = false;
  protected readonly checkpointer: ShardCheckpointer;
  /** Failed calls in a row: each backoff waits longer. Reset by the subclass when a call succeeds. */
  protected failures = 0;
  /** Lag, last read and throttling streak, for health checks (a subclass that rests idle says so to it). */
  protected readonly reads: ShardReadTracker;
  /** Sub-records of this sequence number up to this sub-sequence were processed before a restart. */
  private skipThrough: Checkpoint | undefined;

  constructor(protected readonly o: O) {
    this.reads = new ShardReadTracker(o.shardId);
    this.checkpointer = new ShardCheckpointer(o.store, o.streamName, o.shardId, (e) =>
      o.onError(e, o.shardId),
    );
  }

  get shardId(): string {
    return this.o.shardId;
  }

  private get telemetryAttributes() {
    return messagingAttributes(this.o.streamName, 'receive', {
      'messaging.destination.partition.id': this.o.shardId,
    });
  }

  readState(): ShardReadState {
    return this.reads.state();
  }

  /** Ends reading soon; `run()` then calls shutdownRequested and resolves. */
  stop(): void {
    this.stopping = true;
    this.abort.abort();
  }

  /**
   * Consumer.stop() gave up waiting for this reader (its stop deadline passed): reading ends as after stop(),
   * and every later checkpoint of its processor is refused (ConsumerStoppedError).
   */
  abandon(): void {
    this.checkpointer.abandoned = true;
    this.stop();
  }

  /** The shard's lease is gone: ends reading soon; the processor gets leaseLost, not shutdownRequested. */
  loseLease(): void {
    this.checkpointer.leaseLost = true;
    this.stop();
  }

  async run(): Promise<ShardReaderOutcome> {
    // The shard's lag is observed (OpenTelemetry gauge) while it is read, from the same state as health().
    const stopObserving = observeLag((observe) => {
      const lag = this.readState().millisBehindLatest;
      if (lag !== undefined) observe(lag, this.telemetryAttributes);
    });
    try {
      return await this.runReading();
    } finally {
      stopObserving();
    }
  }

  private async runReading(): Promise<ShardReaderOutcome> {
    const { processor, shardId } = this.o;
    const checkpoint = await this.o.store.get(this.o.streamName, shardId);
    this.checkpointer.current = checkpoint;
    if (isShardEnd(checkpoint)) return { kind: 'ended', finished: true, childShards: [] };
    await processor.initialize({
      shardId,
      sequenceNumber: checkpoint?.sequenceNumber ?? this.o.startPosition.type,
      subSequenceNumber: checkpoint?.subSequenceNumber ?? 0,
    });
    const outcome = await this.read(checkpoint);
    if (outcome.kind === 'leaseLost' || this.checkpointer.leaseLost) {
      await processor.leaseLost();
      return { kind: 'leaseLost' };
    }
    if (outcome.kind === 'ended') {
      await processor.shardEnded({ checkpointer: this.checkpointer.scoped({ kind: 'shardEnd' }) });
      const finished = isShardEnd(this.checkpointer.current);
      if (!finished)
        this.o.logger.warn('shardEnded did not checkpoint SHARD_END: child shards stay blocked', { shardId });
      return { ...outcome, finished };
    }
    await processor.shutdownRequested({ checkpointer: this.checkpointer.scoped({ kind: 'shutdown' }) });
    return outcome;
  }

  /** Reads the shard from the stored checkpoint (undefined: none) until it ends, the lease goes, or stop(). */
  protected abstract read(checkpoint: Checkpoint | undefined): Promise<ShardReaderOutcome>;

  /**
   * Hands one response's records to the processor, without the sub-records processed before a restart.
   * Resolves once processRecords settled (backpressure); to leaseLost when the lease went meanwhile.
   */
  protected async deliver(
    sdkRecords: _Record[],
    millisBehindLatest: number | undefined,
  ): Promise<ShardReaderOutcome | undefined> {
    this.reads.read(millisBehindLatest);
    const records = this.skipProcessed(toUserRecords(sdkRecords));
    reportRecordsRead(records, this.o.streamName);
    if (records.length === 0 && !this.o.callProcessRecordsEvenForEmptyRecordList) return undefined;
    const last = records.at(-1);
    if (last) this.checkpointer.lastDelivered = last;
    try {
      await this.o.processor.processRecords({
        records,
        millisBehindLatest,
        checkpointer: this.checkpointer.scoped({ kind: 'batch', last }),
        signal: this.abort.signal,
      });
    } catch (error) {
      // As the KCL: a processor's exception is reported and reading goes on; the processor owns retries.
      this.o.logger.error('processRecords threw', {
        shardId: this.o.shardId,
        error: (error as Error).message,
      });
      this.o.onError(error, this.o.shardId);
    }
    return this.checkpointer.leaseLost ? { kind: 'leaseLost' } : undefined;
  }

  /** After a restart inside a KPL aggregate, drops the sub-records already checkpointed. */
  private skipProcessed(records: KinesisRecord[]): KinesisRecord[] {
    const skip = this.skipThrough;
    if (!skip || records.length === 0) return records;
    const kept = records.filter((r) => comparePositions(r, skip) > 0);
    if (kept.length > 0 || BigInt(records.at(-1)!.sequenceNumber) > BigInt(skip.sequenceNumber)) {
      this.skipThrough = undefined;
    }
    return kept;
  }

  /**
   * Where reading starts from a checkpoint: AT (not AFTER) its record, then its processed sub-records are
   * skipped (resumes inside aggregates); a TRIM_HORIZON or LATEST checkpoint as is; else the start position.
   */
  protected positionAt(checkpoint: Checkpoint | undefined): StartingPosition {
    const sequenceNumber = checkpoint?.sequenceNumber;
    if (sequenceNumber && isSequenceNumber(sequenceNumber)) {
      this.skipThrough = checkpoint;
      return { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: sequenceNumber };
    }
    if (sequenceNumber === TRIM_HORIZON || sequenceNumber === LATEST) return { Type: sequenceNumber };
    const start = this.o.startPosition;
    return start.type === 'AT_TIMESTAMP'
      ? { Type: 'AT_TIMESTAMP', Timestamp: start.timestamp }
      : { Type: start.type };
  }

  /**
   * True when reading AT the checkpoint failed because the record is older than the stream's retention: logged,
   * and nothing is skipped any more. The caller reads from TRIM_HORIZON instead.
   */
  protected checkpointAgedOut(error: unknown, position: StartingPosition): boolean {
    if (position.Type !== 'AT_SEQUENCE_NUMBER' || (error as Error).name !== 'InvalidArgumentException') {
      return false;
    }
    this.o.logger.warn('checkpointed sequence number has aged out; reading from TRIM_HORIZON', {
      shardId: this.o.shardId,
      sequenceNumber: position.SequenceNumber,
      error: (error as Error).message,
    });
    this.skipThrough = undefined;
    return true;
  }

  /** Reports a failed call (throttling only as such: it is expected under load), then backs off. */
  protected async backOff(error: unknown, throttling: ReadonlySet<string>): Promise<void> {
    if (throttling.has((error as Error).name)) {
      this.reads.throttled();
      instruments()?.throttles.add(1, messagingAttributes(this.o.streamName, 'receive'));
      this.o.onThrottled(this.o.shardId);
    } else this.o.onError(error, this.o.shardId);
    await this.pause();
  }

  /** Waits longer after each failure in a row; stop() cuts the wait short. */
  protected async pause(): Promise<void> {
    this.failures++;
    await sleep(backoffDelay(this.failures, this.o.throttleBackoff), this.abort.signal);
  }
}
