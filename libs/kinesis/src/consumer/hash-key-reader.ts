import type { ChildShard, KinesisClient } from '@aws-sdk/client-kinesis';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff.js';
import { MemoryCheckpointStore } from '../checkpoint/memory-store.js';
import { KinesisError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { KinesisRecord, RecordProcessor, StartPosition } from '../types.js';
import type { ShardReadState } from './consumer-health.js';
import { coversHashKey, listShards } from './shard-lister.js';
import type { ShardReaderBase, ShardReaderOptions } from './shard-reader-base.js';

/**
 * Reads the one open shard whose hash key range covers a key, and after a split or merge the child covering it:
 * a client's reply shard, a Seneca topic's. Polling (PollingHashKeyReader) or enhanced fan-out (FanOutHashKeyReader).
 */
export interface HashKeyReader {
  /** The shard read now (it changes when the shard is split or merged). */
  readonly currentShardId: string | undefined;
  /** Resolves once any record written afterwards will be read. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Someone awaits records: read again if reading was paused while idle. */
  wake?(): void;
  health(): HashKeyReaderHealth;
}

/**
 * `started`: nothing read yet; `reading`; `idle`: reading paused while no one awaits records; `stopped`:
 * stop() was called, or reading ended (start() failed, a shard reader threw): no record is read any more.
 */
export type HashKeyReaderState = 'started' | 'reading' | 'idle' | 'stopped';

/** A hash-key reader's state and its current shard's read state (no shard before start()). */
export type HashKeyReaderHealth = Omit<ShardReadState, 'shardId'> & {
  state: HashKeyReaderState;
  shardId?: string;
};

export interface HashKeyReaderOptions {
  client: KinesisClient;
  streamName: string;
  /** The 128-bit hash key (e.g. partitionKeyToHashKey of a partition key) whose shard is read. */
  hashKey: bigint;
  logger: Logger;
  /** A throw is reported to onError and the batch left behind: reading goes on. */
  onRecords(records: KinesisRecord[]): void;
  onThrottled(): void;
  onError(error: unknown): void;
}

/** The hash-key readers' defaults: the one place each is written. */
export const HASH_KEY_READER_DEFAULTS = {
  /** Least time between two GetRecords, ms: a shard allows 5 reads/s, shared by every reader of it. */
  pollIntervalMs: 200,
  /** Backoff after a throttled or failed read: short, someone awaits these records. */
  throttleBackoff: { baseMs: 100, maxMs: 2_000 } as Readonly<BackoffOptions>,
  /** What a read asks for at most (the reader sizes its calls from the records' sizes). */
  maxRecordsPerCall: 10_000,
  maxBytesPerCall: 2 * 1024 * 1024,
} as const;

/** A hash-key reader no open shard covers (the stream has none open, or is being resharded). */
export class NoShardForHashKeyError extends KinesisError {
  constructor(readonly streamName: string) {
    super(`no open shard of "${streamName}" covers the hash key`);
  }
}

/**
 * The following of a hash key through the shards, over the core's shard readers: each shard is read by a
 * ShardReader or FanOutShardReader with an in-memory checkpoint store (records are never replayed after a
 * restart: nothing to resume), whose processor hands records to onRecords and checkpoints SHARD_END at the
 * shard's end; then the child covering the key is read from its start. A subclass builds the shard readers.
 */
export abstract class HashKeyReaderBase<
  O extends HashKeyReaderOptions = HashKeyReaderOptions,
> implements HashKeyReader {
  protected readonly abort = new AbortController();
  private readonly store = new MemoryCheckpointStore();
  private readonly processor: RecordProcessor = {
    initialize: () => undefined,
    processRecords: ({ records }) => this.o.onRecords(records),
    leaseLost: () => undefined,
    shardEnded: ({ checkpointer }) => checkpointer.checkpoint(), // SHARD_END, in memory
    shutdownRequested: () => undefined,
  };
  private reader: ShardReaderBase | undefined;
  private shardId: string | undefined;
  private loop: Promise<void> | undefined;
  private ended = false;

  constructor(protected readonly o: O) {}

  get currentShardId(): string | undefined {
    return this.shardId;
  }

  health(): HashKeyReaderHealth {
    const reads: Partial<ShardReadState> = this.reader?.readState() ?? { throttleStreak: 0 };
    const state: HashKeyReaderState =
      this.ended || this.abort.signal.aborted
        ? 'stopped'
        : this.pausedWhileIdle()
          ? 'idle'
          : reads.lastReadAt === undefined
            ? 'started'
            : 'reading';
    return { throttleStreak: 0, ...reads, state };
  }

  async start(): Promise<void> {
    const startPosition = await this.open();
    const shards = await listShards(this.o.client, this.o.streamName, this.abort.signal);
    const shard = shards.find((s) => !s.endingSequenceNumber && coversHashKey(s, this.o.hashKey));
    if (!shard) throw new NoShardForHashKeyError(this.o.streamName);
    this.loop = this.follow(shard.shardId, startPosition).finally(() => (this.ended = true));
    await Promise.race([this.started(), this.loop]);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.reader?.stop();
    await this.loop;
  }

  /** Work before the first shard is looked up; resolves to where that shard is read from. */
  protected abstract open(): Promise<StartPosition>;

  /** Reads one shard; `first`: the shard start() found (the others are children, read from their start). */
  protected abstract readerFor(options: ShardReaderOptions, first: boolean): ShardReaderBase;

  /** Reading is paused while no one awaits records. Default: never. */
  protected pausedWhileIdle(): boolean {
    return false;
  }

  /** Resolves once the first shard's reading has started, as start() promises. Default: at once. */
  protected async started(): Promise<void> {}

  /** Options of a shard reader for `shardId`; the subclass adds its own. */
  private readingOptions(shardId: string, startPosition: StartPosition): ShardReaderOptions {
    return {
      client: this.o.client,
      streamName: this.o.streamName,
      shardId,
      processor: this.processor,
      store: this.store,
      startPosition,
      pollIntervalMs: HASH_KEY_READER_DEFAULTS.pollIntervalMs,
      maxRecordsPerCall: HASH_KEY_READER_DEFAULTS.maxRecordsPerCall,
      maxBytesPerCall: HASH_KEY_READER_DEFAULTS.maxBytesPerCall,
      throttleBackoff: HASH_KEY_READER_DEFAULTS.throttleBackoff,
      callProcessRecordsEvenForEmptyRecordList: false,
      logger: this.o.logger,
      onThrottled: () => this.o.onThrottled(),
      onError: (error) => this.o.onError(error),
    };
  }

  /** Reads a shard to its end, then its child covering the key, until stop(). */
  private async follow(shardId: string, startPosition: StartPosition): Promise<void> {
    let current: string | undefined = shardId;
    for (let first = true; current && !this.abort.signal.aborted; first = false) {
      this.shardId = current;
      const reader = (this.reader = this.readerFor(this.readingOptions(current, startPosition), first));
      const outcome = await reader.run().catch((error: unknown) => {
        this.o.onError(error);
        return undefined;
      });
      if (outcome?.kind !== 'ended') return;
      current = await this.childOf(current, outcome.childShards);
      startPosition = { type: 'TRIM_HORIZON' };
    }
  }

  /**
   * The child covering the key: as the shard's last read announced it, else as listed (an endpoint may not
   * announce children). Not listed yet: reported, and looked for again after a backoff until stop().
   */
  private async childOf(parent: string, announced: ChildShard[]): Promise<string | undefined> {
    const { client, streamName, hashKey, logger } = this.o;
    let child = announced.find((c) =>
      coversHashKey(
        { startingHashKey: c.HashKeyRange?.StartingHashKey, endingHashKey: c.HashKeyRange?.EndingHashKey },
        hashKey,
      ),
    )?.ShardId;
    for (let attempt = 1; !child && !this.abort.signal.aborted; attempt++) {
      try {
        const shards = await listShards(client, streamName, this.abort.signal);
        child = shards.find((s) => s.parentShardIds.includes(parent) && coversHashKey(s, hashKey))?.shardId;
        if (!child)
          this.o.onError(
            new KinesisError(`shard ${parent} ended and no child covering the key is listed yet`),
          );
      } catch (error) {
        if (!this.abort.signal.aborted) this.o.onError(error);
      }
      if (!child)
        await sleep(backoffDelay(attempt, HASH_KEY_READER_DEFAULTS.throttleBackoff), this.abort.signal);
    }
    if (child) logger.info('shard ended; following its child covering the hash key', { parent, child });
    return child;
  }
}
