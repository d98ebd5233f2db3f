import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type StartingPosition,
} from '@aws-sdk/client-kinesis';
import { sleep } from '../backoff.js';
import type { Checkpoint } from '../types.js';
import { ShardReaderBase, type ShardReaderOutcome } from './shard-reader-base.js';

export type { ShardReaderOptions, ShardReaderOutcome } from './shard-reader-base.js';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
]);

/**
 * The first GetRecords of a shard asks for this many records: their sizes are unknown, and 10,000 aggregated
 * records can be 20 MiB or more. From then on the limit follows the records' size (`nextLimit`). When this
 * probe comes back full (a backlog), the sized call follows at once instead of a poll interval later: one extra
 * call per shard at start, so a small probe costs no throughput.
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

/** GetShardIterator takes SubscribeToShard's StartingPosition under other field names. */
function iteratorPosition(
  position: StartingPosition,
): Omit<GetShardIteratorCommandInput, 'StreamName' | 'ShardId'> {
  const { Type, SequenceNumber, Timestamp } = position;
  if (SequenceNumber !== undefined)
    return { ShardIteratorType: Type, StartingSequenceNumber: SequenceNumber };
  if (Timestamp !== undefined) return { ShardIteratorType: Type, Timestamp };
  return { ShardIteratorType: Type };
}

/**
 * One poll loop for one shard: GetRecords at most once per poll interval (5 calls/s per shard is the
 * service limit, shared by every reader), the next call only after processRecords settled (backpressure).
 */
export class ShardReader extends ShardReaderBase {
  /** GetRecords Limit for the next call, sized from the last response's record sizes. */
  private limit = Math.min(this.o.maxRecordsPerCall, FIRST_CALL_LIMIT);
  /** The next call is the size probe (the first one). */
  private probing = true;
  /** When the last successful GetRecords began: everything that arrived before it was read. */
  protected readUpTo: number | undefined;

  protected async read(checkpoint: Checkpoint | undefined): Promise<ShardReaderOutcome> {
    const { client, shardId, pollIntervalMs } = this.o;
    let iterator: string | undefined;
    let lastCallAt = 0;
    while (!this.stopping) {
      await sleep(lastCallAt + pollIntervalMs - Date.now(), this.abort.signal);
      if (this.stopping) break;
      lastCallAt = Date.now();
      let response;
      try {
        if (!iterator) iterator = await this.iteratorFor(this.resumePosition(checkpoint));
        await this.beforeRead();
        if (this.stopping) break;
        const startedAt = Date.now();
        response = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.limit }), {
          abortSignal: this.abort.signal,
        });
        this.failures = 0;
        this.readUpTo = startedAt;
      } catch (error) {
        if (this.stopping) break;
        if ((error as Error).name === 'ExpiredIteratorException') {
          this.o.logger.info('shard iterator expired; renewing', { shardId });
          iterator = undefined;
          continue;
        }
        await this.backOff(error, THROTTLING);
        continue;
      }
      const probe = this.probing;
      this.probing = false;
      if (probe && (response.Records?.length ?? 0) >= this.limit) lastCallAt = 0;
      this.limit = nextLimit(response.Records ?? [], this.limit, this.o);
      const leaseLost = await this.deliver(response.Records ?? [], response.MillisBehindLatest);
      if (leaseLost) return leaseLost;
      if (!response.NextShardIterator)
        return { kind: 'ended', finished: false, childShards: response.ChildShards ?? [] };
      iterator = response.NextShardIterator;
    }
    return { kind: 'stopped' };
  }

  /** Awaited before each GetRecords, an iterator held: a subclass may hold reading back (e.g. while idle). */
  protected async beforeRead(): Promise<void> {}

  /**
   * After an expired iterator: continue after the last record handed to the processor (it accepted it;
   * re-reading from an older checkpoint would only duplicate), else where the shard started.
   */
  protected resumePosition(checkpoint: Checkpoint | undefined): StartingPosition {
    return this.positionAt(this.checkpointer.lastDelivered ?? checkpoint);
  }

  protected async iteratorFor(position: StartingPosition): Promise<string | undefined> {
    const { client, streamName, shardId } = this.o;
    const get = (p: StartingPosition) =>
      client.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ...iteratorPosition(p) }),
        { abortSignal: this.abort.signal },
      );
    try {
      return (await get(position)).ShardIterator;
    } catch (error) {
      if (!this.checkpointAgedOut(error, position)) throw error;
      return (await get({ Type: 'TRIM_HORIZON' })).ShardIterator;
    }
  }
}
