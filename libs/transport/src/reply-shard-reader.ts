import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  backoffDelay,
  listShards,
  sleep,
  toUserRecords,
  type KinesisRecord,
  type Logger,
  type ShardInfo,
} from '../../kinesis/src/index.js';

/** What a client reads its replies with: polling (ReplyShardReader) or enhanced fan-out (FanOutReplyReader). */
export interface ReplyReader {
  readonly currentShardId: string | undefined;
  /** Resolves once any reply written afterwards will be read. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A call started: read again if reading was paused while idle. */
  wake?(): void;
}

/**
 * Renewing an iterator without a record to continue after: from this long before the last read began, by
 * arrival time (some endpoints keep it to the second). Replies read twice are ignored by id; missed ones are not.
 */
const RENEW_SKEW_MS = 2_000;

export interface ReplyShardReaderOptions {
  client: KinesisClient;
  streamName: string;
  /** The client's reply hash key: the reader follows the one shard whose range covers it. */
  hashKey: bigint;
  pollIntervalMs: number;
  /**
   * True while no call awaits a reply: the reader then stops polling until `wake()` (a shard's 5 reads/s are
   * shared by every client reading it, so idle clients should not spend them). Default: never idle.
   */
  idle?: () => boolean;
  logger: Logger;
  onRecords(records: KinesisRecord[]): void;
  onThrottled(): void;
  onError(error: unknown): void;
}

const covers = (shard: ShardInfo, key: bigint) =>
  BigInt(shard.startingHashKey!) <= key && key <= BigInt(shard.endingHashKey!);

/**
 * Reads only the reply shard that covers the client's hash key: one reader per client instance costs one
 * GetRecords per poll on one shard, instead of every client reading every shard of the res stream. When
 * the shard is split or merged, the reader moves on to the child covering the key (from its start).
 */
export class ReplyShardReader implements ReplyReader {
  private readonly abort = new AbortController();
  private shardId: string | undefined;
  private iterator: string | undefined;
  private lastSequenceNumber: string | undefined;
  /** When the last successful GetRecords began: everything that arrived before it was read. */
  private readUpTo: number | undefined;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly o: ReplyShardReaderOptions) {}

  get currentShardId(): string | undefined {
    return this.shardId;
  }

  /** Resolves once an iterator at LATEST is held: any reply written after this is read. */
  async start(): Promise<void> {
    const shards = await listShards(this.o.client, this.o.streamName);
    const shard = shards.find((s) => !s.endingSequenceNumber && covers(s, this.o.hashKey));
    if (!shard) throw new Error(`no open shard of "${this.o.streamName}" covers the reply hash key`);
    this.shardId = shard.shardId;
    const startedAt = Date.now();
    this.iterator = await this.iteratorFor({ ShardIteratorType: 'LATEST' });
    this.readUpTo = startedAt; // what came before is not ours: a renewal never reads it
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    await this.loop;
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Waits while no call awaits a reply; the iterator is kept (renewed on expiry from where reading stopped). */
  private async whileIdle(): Promise<void> {
    while (this.o.idle?.() && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        if (!this.o.idle!()) resolve(); // a call started between the check and now
      });
      this.wakeUp = undefined;
    }
  }

  private async run(): Promise<void> {
    let lastCallAt = 0;
    let failures = 0;
    while (!this.abort.signal.aborted) {
      await this.whileIdle();
      await sleep(lastCallAt + this.o.pollIntervalMs - Date.now(), this.abort.signal);
      if (this.abort.signal.aborted) return;
      const startedAt = (lastCallAt = Date.now());
      try {
        this.iterator ??= await this.renewedIterator();
        const out = await this.o.client.send(new GetRecordsCommand({ ShardIterator: this.iterator }), {
          abortSignal: this.abort.signal,
        });
        failures = 0;
        this.readUpTo = startedAt;
        const records = toUserRecords(out.Records ?? []);
        if (records.length > 0) {
          this.lastSequenceNumber = records.at(-1)!.sequenceNumber;
          this.deliver(records);
        }
        this.iterator = out.NextShardIterator ?? (await this.followChild());
      } catch (error) {
        if (this.abort.signal.aborted) return;
        const name = (error as Error).name;
        if (name === 'ExpiredIteratorException') {
          this.iterator = undefined;
          continue;
        }
        if (name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException')
          this.o.onThrottled();
        else this.o.onError(error);
        await sleep(backoffDelay(++failures, { baseMs: 100, maxMs: 2_000 }), this.abort.signal);
      }
    }
  }

  /**
   * A throwing onRecords is reported and the batch left behind: retrying it would read the same records again
   * and again, so one hostile record would stop every later reply of the shard.
   */
  private deliver(records: KinesisRecord[]): void {
    try {
      this.o.onRecords(records);
    } catch (error) {
      this.o.onError(error);
    }
  }

  /** The shard ended (split or merge): continue on the child whose range covers the key. */
  private async followChild(): Promise<string | undefined> {
    const parent = this.shardId!;
    const child = (await listShards(this.o.client, this.o.streamName)).find(
      (s) => s.parentShardIds.includes(parent) && covers(s, this.o.hashKey),
    );
    if (!child) throw new Error(`reply shard ${parent} ended and no child covering the key is listed yet`);
    this.o.logger.info('reply shard ended; following its child', { parent, child: child.shardId });
    this.shardId = child.shardId;
    this.lastSequenceNumber = undefined;
    this.readUpTo = undefined; // the child is read from its start
    return this.iteratorFor({ ShardIteratorType: 'TRIM_HORIZON' });
  }

  /** After an expired iterator: after the last record read, else from when reading last began (never LATEST). */
  private renewedIterator(): Promise<string | undefined> {
    if (this.lastSequenceNumber) {
      return this.iteratorFor({
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: this.lastSequenceNumber,
      });
    }
    if (this.readUpTo === undefined) return this.iteratorFor({ ShardIteratorType: 'TRIM_HORIZON' });
    return this.iteratorFor({
      ShardIteratorType: 'AT_TIMESTAMP',
      Timestamp: new Date(this.readUpTo - RENEW_SKEW_MS),
    });
  }

  private async iteratorFor(position: Omit<GetShardIteratorCommandInput, 'StreamName' | 'ShardId'>) {
    const out = await this.o.client.send(
      new GetShardIteratorCommand({ StreamName: this.o.streamName, ShardId: this.shardId!, ...position }),
      { abortSignal: this.abort.signal },
    );
    return out.ShardIterator;
  }
}
