import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ChildShard,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff.js';
import type { Logger } from '../logger.js';
import type { Checkpoint, CheckpointStore, RecordProcessor, StartPosition } from '../types.js';
import { isShardEnd, LATEST, TRIM_HORIZON } from '../types.js';
import { comparePositions, isSequenceNumber, toUserRecords } from './records.js';
import { ShardCheckpointer } from './shard-checkpointer.js';

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

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
]);

/**
 * The first GetRecords of a shard asks for this many records: their sizes are unknown, and 10,000 aggregated
 * records can be 20 MiB or more. From then on the limit follows the records' size (`nextLimit`).
 */
const FIRST_CALL_LIMIT = 100;

/**
 * Sizes the next GetRecords so it returns about `maxBytesPerCall`: a 10 MiB read throttles a shard for 5 s on
 * AWS (its read limit is 2 MiB/s), and one huge response of KPL aggregates is a burst of memory and CPU that
 * nothing else on the event loop can interleave with. A short response (the shard's tip) keeps the limit.
 */
function nextLimit(
  records: Array<{ Data?: Uint8Array }>,
  limit: number,
  o: { maxRecordsPerCall: number; maxBytesPerCall: number },
): number {
  if (records.length === 0) return limit;
  let bytes = 0;
  for (const record of records) bytes += record.Data?.length ?? 0;
  const perRecord = Math.max(1, bytes / records.length);
  const fitting = Math.max(1, Math.floor(o.maxBytesPerCall / perRecord));
  return Math.min(o.maxRecordsPerCall, fitting);
}

/**
 * One poll loop for one shard: GetRecords at most once per poll interval (5 calls/s per shard is the
 * service limit, shared by every reader), the next call only after processRecords settled (backpressure).
 */
export class ShardReader {
  private readonly abort = new AbortController();
  private stopping = false;
  private readonly checkpointer: ShardCheckpointer;
  /** Sub-records of this sequence number up to this sub-sequence were processed before a restart. */
  private skipThrough: Checkpoint | undefined;
  /** GetRecords Limit for the next call, sized from the last response's record sizes. */
  private limit: number;

  constructor(private readonly o: ShardReaderOptions) {
    this.limit = Math.min(o.maxRecordsPerCall, FIRST_CALL_LIMIT);
    this.checkpointer = new ShardCheckpointer(o.store, o.streamName, o.shardId, (e) =>
      o.onError(e, o.shardId),
    );
  }

  get shardId(): string {
    return this.o.shardId;
  }

  /** Ends the loop soon; `run()` then calls shutdownRequested and resolves. */
  stop(): void {
    this.stopping = true;
    this.abort.abort();
  }

  /** The shard's lease is gone: ends the loop soon; the processor gets leaseLost, not shutdownRequested. */
  loseLease(): void {
    this.checkpointer.leaseLost = true;
    this.stop();
  }

  async run(): Promise<ShardReaderOutcome> {
    const { processor, shardId } = this.o;
    const checkpoint = await this.o.store.get(this.o.streamName, shardId);
    this.checkpointer.current = checkpoint;
    if (isShardEnd(checkpoint)) return { kind: 'ended', finished: true, childShards: [] };
    await processor.initialize({
      shardId,
      sequenceNumber: checkpoint?.sequenceNumber ?? this.o.startPosition.type,
      subSequenceNumber: checkpoint?.subSequenceNumber ?? 0,
    });
    const outcome = await this.loop(checkpoint);
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

  private async loop(checkpoint: Checkpoint | undefined): Promise<ShardReaderOutcome> {
    const { client, shardId, pollIntervalMs } = this.o;
    let iterator: string | undefined;
    let lastCallAt = 0;
    let failures = 0;
    while (!this.stopping) {
      await sleep(lastCallAt + pollIntervalMs - Date.now(), this.abort.signal);
      if (this.stopping) break;
      lastCallAt = Date.now();
      let response;
      try {
        if (!iterator) iterator = await this.iteratorFor(this.resumePosition(checkpoint));
        response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.limit }), {
          abortSignal: this.abort.signal,
        });
        failures = 0;
      } catch (error) {
        if (this.stopping) break;
        const name = (error as Error).name;
        if (name === 'ExpiredIteratorException') {
          this.o.logger.info('shard iterator expired; renewing', { shardId });
          iterator = undefined;
          continue;
        }
        failures++;
        if (THROTTLING.has(name)) this.o.onThrottled(shardId);
        else this.o.onError(error, shardId);
        await sleep(backoffDelay(failures, this.o.throttleBackoff), this.abort.signal);
        continue;
      }
      this.limit = nextLimit(response.Records ?? [], this.limit, this.o);
      const records = this.skipProcessed(toUserRecords(response.Records ?? []));
      if (records.length > 0 || this.o.callProcessRecordsEvenForEmptyRecordList) {
        await this.deliver(records, response.MillisBehindLatest);
        if (this.checkpointer.leaseLost) return { kind: 'leaseLost' };
      }
      if (!response.NextShardIterator)
        return { kind: 'ended', finished: false, childShards: response.ChildShards ?? [] };
      iterator = response.NextShardIterator;
    }
    return { kind: 'stopped' };
  }

  private async deliver(records: ReturnType<typeof toUserRecords>, millisBehindLatest: number | undefined) {
    const last = records.at(-1);
    if (last) this.checkpointer.lastDelivered = last;
    try {
      await this.o.processor.processRecords({
        records,
        millisBehindLatest,
        checkpointer: this.checkpointer.scoped({ kind: 'batch', last }),
      });
    } catch (error) {
      // As the KCL: a processor's exception is reported and the loop goes on; the processor owns retries.
      this.o.logger.error('processRecords threw', {
        shardId: this.o.shardId,
        error: (error as Error).message,
      });
      this.o.onError(error, this.o.shardId);
    }
  }

  /** After a restart inside a KPL aggregate, drops the sub-records already checkpointed. */
  private skipProcessed(records: ReturnType<typeof toUserRecords>) {
    const skip = this.skipThrough;
    if (!skip || records.length === 0) return records;
    const kept = records.filter((r) => comparePositions(r, skip) > 0);
    if (kept.length > 0 || BigInt(records.at(-1)!.sequenceNumber) > BigInt(skip.sequenceNumber)) {
      this.skipThrough = undefined;
    }
    return kept;
  }

  /** Where reading starts: just after the checkpoint, else the start position. */
  private positionFrom(
    checkpoint: Checkpoint | undefined,
  ): Omit<GetShardIteratorCommandInput, 'StreamName' | 'ShardId'> {
    const sequenceNumber = checkpoint?.sequenceNumber;
    if (sequenceNumber && isSequenceNumber(sequenceNumber)) {
      // AT (not AFTER) the checkpointed record, then skip its processed sub-records: resumes inside aggregates.
      this.skipThrough = checkpoint;
      return { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber };
    }
    if (sequenceNumber === TRIM_HORIZON || sequenceNumber === LATEST)
      return { ShardIteratorType: sequenceNumber };
    const start = this.o.startPosition;
    return start.type === 'AT_TIMESTAMP'
      ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: start.timestamp }
      : { ShardIteratorType: start.type };
  }

  /**
   * After an expired iterator: continue after the last record handed to the processor (it accepted it;
   * re-reading from an older checkpoint would only duplicate), else where the shard started.
   */
  private resumePosition(checkpoint: Checkpoint | undefined) {
    const last = this.checkpointer.lastDelivered;
    return this.positionFrom(last ?? checkpoint);
  }

  private async iteratorFor(position: Omit<GetShardIteratorCommandInput, 'StreamName' | 'ShardId'>) {
    const { client, streamName, shardId } = this.o;
    const get = (p: typeof position) =>
      client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ...p }), {
        abortSignal: this.abort.signal,
      });
    try {
      return (await get(position)).ShardIterator;
    } catch (error) {
      // A checkpoint older than the stream's retention no longer has its record.
      if (
        position.ShardIteratorType !== 'AT_SEQUENCE_NUMBER' ||
        (error as Error).name !== 'InvalidArgumentException'
      ) {
        throw error;
      }
      this.o.logger.warn('checkpointed sequence number has aged out; reading from TRIM_HORIZON', {
        shardId,
        sequenceNumber: position.StartingSequenceNumber,
        error: (error as Error).message,
      });
      this.skipThrough = undefined;
      return (await get({ ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
    }
  }
}
