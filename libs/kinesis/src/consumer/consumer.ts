import { EventEmitter } from 'node:events';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { BackoffOptions } from '../backoff.js';
import { MemoryCheckpointStore, withRetries } from '../checkpoint/index.js';
import { CoalescedRun } from '../coalesced-run.js';
import { readerEndOf, type LeaseEvent } from '../lease/lease-callbacks.js';
import { consumerLeaseCoordinator, type LeaseCoordinator } from '../lease/lease-coordinator.js';
import type { LeaseOptions } from '../lease/lease-options.js';
import { defaultLogger, type Logger } from '../logger.js';
import type { CheckpointStore, RecordProcessorFactory, StartPosition } from '../types.js';
import { isShardEnd } from '../types.js';
import { settlesBy } from './deadline.js';
import { ensureStreamConsumer, FanOutShardReader } from './fan-out.js';
import { listShards, type ShardInfo } from './shard-lister.js';
import { ShardReader, type ShardReaderOptions, type ShardReaderOutcome } from './shard-reader.js';

export interface ConsumerOptions {
  client: KinesisClient;
  streamName: string;
  /** One processor per shard, KCL-style. */
  processorFactory: RecordProcessorFactory;
  /** Default: an in-memory store (progress is lost on restart). Wrapped with retries. Not with `leases`. */
  checkpointStore?: CheckpointStore;
  /**
   * Share the stream's shards with the other instances using the same lease table (the KCL's protocol):
   * only shards whose lease this instance holds are read, and checkpoints are stored in the leases.
   */
  leases?: LeaseOptions;
  /**
   * Read through enhanced fan-out (SubscribeToShard) as this stream consumer, registered at start unless it
   * exists: a dedicated 2 MiB/s per shard and ~70 ms propagation instead of polling the shared 2 MiB/s.
   * pollIntervalMs, maxRecordsPerCall and maxBytesPerCall do not apply; subscriptionRenewMs defaults to 5 min.
   */
  fanOut?: { consumerName: string; subscriptionRenewMs?: number };
  /** Where a shard without a checkpoint starts. Default TRIM_HORIZON: nothing written before start is missed. */
  startPosition?: StartPosition;
  /** Minimum time between two GetRecords calls on one shard, ms. Default 200 (5 calls/s is the shard's limit). */
  pollIntervalMs?: number;
  /** GetRecords Limit. Default 10,000 (the service maximum). */
  maxRecordsPerCall?: number;
  /**
   * About how many bytes one GetRecords should return: the next call's Limit is sized from the last
   * response's record sizes (the first call asks for 100 records). Default 2 MiB, a shard's read limit per
   * second; a 10 MiB read throttles the shard for 5 s on AWS.
   */
  maxBytesPerCall?: number;
  /** How often shards are listed again to find new ones, ms. Default 10 s; a shard end triggers a listing at once. */
  shardSyncIntervalMs?: number;
  /** Backoff after a throttled or failed GetRecords. */
  throttleBackoff?: BackoffOptions;
  /** Call processRecords with an empty list when a poll returns nothing (keeps millisBehindLatest flowing). */
  callProcessRecordsEvenForEmptyRecordList?: boolean;
  /** Retries of the checkpoint store before its failure is surfaced. Default 3. */
  checkpointAttempts?: number;
  /**
   * How long stop() waits for the shards' processors (the batch in progress, shutdownRequested and its
   * checkpoint), ms. Default 30 s. Past it, stop() gives up on the processors still running: their later
   * checkpoints are refused (ConsumerStoppedError), so what they did not checkpoint is read again after a
   * restart; with `leases`, their leases are no longer renewed and expire after the failover time, while the
   * leases of the processors that finished are released (bounded by a further 5 s).
   */
  stopTimeoutMs?: number;
  logger?: Logger;
}

export interface ConsumerEvents {
  shardStarted: [shardId: string];
  shardEnded: [shardId: string, finished: boolean];
  throttled: [shardId: string];
  error: [error: unknown, shardId?: string];
  /** With `leases`: a lease became ours (free, expired, handed over, or left by an earlier run). */
  leaseTaken: [shardId: string, previousOwner: string | undefined];
  /** With `leases`: a lease was taken from us or could not be renewed; its processor got leaseLost. */
  leaseLost: [shardId: string, reason: string];
  /** With `leases`: another worker asked for a lease; we checkpointed (shutdownRequested) and handed it over. */
  leaseHandedOver: [shardId: string, to: string];
}

const DEFAULT_STOP_TIMEOUT_MS = 30_000;
/** stop(): the bound on releasing leases once the processors are done (one conditional write per lease). */
const LEASE_RELEASE_TIMEOUT_MS = 5_000;

/**
 * Reads every shard of a stream: one poll loop per shard, children of a split or merge only after all their
 * parents are finished (checkpointed at SHARD_END). Works whether or not the endpoint returns ChildShards:
 * shard ends trigger a ListShards, and parents are known from the listing.
 */
export class Consumer extends EventEmitter<ConsumerEvents> {
  private readonly store: CheckpointStore;
  private readonly leases: LeaseCoordinator | undefined;
  private readonly logger: Logger;
  private readonly shards = new Map<string, ShardInfo>();
  private readonly finished = new Set<string>();
  private readonly readers = new Map<
    string,
    { reader: ShardReader | FanOutShardReader; done: Promise<void> }
  >();
  /** With `fanOut`: the registered consumer's ARN, known after start(). */
  private consumerArn: string | undefined;
  private syncTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly syncs = new CoalescedRun(() => this.sync(), {
    enabled: () => this.running,
    onError: (error) => this.reportError(error),
  });

  constructor(private readonly options: ConsumerOptions) {
    super();
    validateConsumerOptions(options);
    this.logger = options.logger ?? defaultLogger;
    this.leases =
      options.leases &&
      consumerLeaseCoordinator(
        options.leases,
        { ...options, logger: this.logger },
        {
          startShard: (shardId) => this.running && !this.readers.has(shardId) && this.startReader(shardId),
          hasReader: (shardId) => this.readers.has(shardId),
          abandonShard: (shardId) => this.readers.get(shardId)?.reader.loseLease(),
          drainShard: (shardId) => this.readers.get(shardId)?.reader.stop(),
          onEvent: (event) => this.onLeaseEvent(event),
        },
      );
    this.store = withRetries(
      this.leases?.checkpointStore ?? options.checkpointStore ?? new MemoryCheckpointStore(),
      {
        attempts: options.checkpointAttempts ?? 3,
        logger: this.logger,
      },
    );
  }

  get streamName(): string {
    return this.options.streamName;
  }

  /** Shards being read now. */
  activeShardIds(): string[] {
    return [...this.readers.keys()];
  }

  /** With `leases`: this instance's `leaseOwner` name. */
  get workerId(): string | undefined {
    return this.leases?.workerId;
  }

  /** Lists the shards and starts reading. Rejects when the stream cannot be listed (e.g. it does not exist). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const { client, streamName, fanOut } = this.options;
      if (fanOut && !this.consumerArn)
        this.consumerArn = (await ensureStreamConsumer(client, streamName, fanOut.consumerName)).consumerArn;
      await this.leases?.start();
      await this.sync();
    } catch (error) {
      this.running = false;
      await this.leases?.close().catch(() => undefined);
      throw error;
    }
    const interval = this.options.shardSyncIntervalMs ?? 10_000;
    this.syncTimer = setInterval(() => void this.requestSync(), interval);
    this.syncTimer.unref();
  }

  /**
   * Ends every poll loop; each shard's processor gets shutdownRequested. Resolves when all are done, or after
   * `stopTimeoutMs` (plus at most 5 s to release leases): see that option for what happens to the rest.
   * `timeoutMs` overrides `stopTimeoutMs` for this call.
   */
  async stop({ timeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    this.running = false;
    clearInterval(this.syncTimer);
    const deadline = Date.now() + (timeoutMs ?? this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    const drained = (async () => {
      await this.leases?.stopTaking();
      for (const { reader } of this.readers.values()) reader.stop();
      await this.syncs.current?.catch(() => undefined);
      await Promise.all([...this.readers.values()].map((r) => r.done));
    })();
    const unfinished: string[] = [];
    if (!(await settlesBy(drained, deadline))) {
      for (const [shardId, { reader }] of this.readers) {
        reader.abandon();
        unfinished.push(shardId);
      }
      this.logger.warn('stop deadline passed: not waiting for these shards any longer', {
        shardIds: unfinished.join(','),
      });
    }
    if (!this.leases) return;
    // After the readers' last checkpoints: gives the leases up (those of unfinished shards expire).
    if (!(await settlesBy(this.leases.close(unfinished), Date.now() + LEASE_RELEASE_TIMEOUT_MS)))
      this.logger.warn('leases not released in time: they expire after the failover time');
  }

  /** Runs a shard sync now, or once more after the one in progress. */
  requestSync(): Promise<void> {
    return this.syncs.request();
  }

  private async sync(): Promise<void> {
    const listed = await listShards(this.options.client, this.options.streamName);
    if (this.leases) return this.leases.syncShards(listed); // the leases decide what this instance reads
    for (const shard of listed) this.shards.set(shard.shardId, shard);
    const listedIds = new Set(listed.map((s) => s.shardId));
    const candidates = [...this.shards.values()].filter(
      (s) => !this.finished.has(s.shardId) && !this.readers.has(s.shardId),
    );
    // Finished shards are known from their checkpoints (another run may have ended them).
    await Promise.all(
      candidates.map(async (s) => {
        if (isShardEnd(await this.store.get(this.options.streamName, s.shardId)))
          this.finished.add(s.shardId);
      }),
    );
    for (const shard of candidates) {
      if (!this.running) return;
      if (this.finished.has(shard.shardId) || this.readers.has(shard.shardId)) continue;
      // A parent that is no longer listed has aged out of the stream: nothing of it is left to read.
      const blocked = shard.parentShardIds.some((p) => listedIds.has(p) && !this.finished.has(p));
      if (!blocked) this.startReader(shard.shardId);
    }
  }

  private startReader(shardId: string): void {
    const o = this.options;
    const readerOptions: ShardReaderOptions = {
      client: o.client,
      streamName: o.streamName,
      shardId,
      processor: o.processorFactory(shardId),
      store: this.store,
      startPosition: o.startPosition ?? { type: 'TRIM_HORIZON' },
      pollIntervalMs: o.pollIntervalMs ?? 200,
      maxRecordsPerCall: o.maxRecordsPerCall ?? 10_000,
      maxBytesPerCall: o.maxBytesPerCall ?? 2 * 1024 * 1024,
      throttleBackoff: o.throttleBackoff ?? { baseMs: 200, maxMs: 5_000 },
      callProcessRecordsEvenForEmptyRecordList: o.callProcessRecordsEvenForEmptyRecordList ?? false,
      logger: this.logger,
      onThrottled: (id) => this.emit('throttled', id),
      onError: (error, id) => this.reportError(error, id),
    };
    const reader = this.consumerArn
      ? new FanOutShardReader({
          ...readerOptions,
          consumerArn: this.consumerArn,
          subscriptionRenewMs: o.fanOut?.subscriptionRenewMs,
        })
      : new ShardReader(readerOptions);
    const done = reader.run().then(
      (outcome) => this.onReaderDone(shardId, outcome),
      (error) => {
        this.onReaderDone(shardId, undefined);
        this.reportError(error, shardId); // e.g. the store failed at start: the next sync retries the shard
      },
    );
    this.readers.set(shardId, { reader, done });
    this.logger.debug('shard started', { shardId });
    this.emit('shardStarted', shardId);
  }

  private onReaderDone(shardId: string, outcome: ShardReaderOutcome | undefined): void {
    this.readers.delete(shardId);
    this.leases?.readerDone(shardId, readerEndOf(outcome));
    if (outcome?.kind !== 'ended') return;
    if (outcome.finished) this.finished.add(shardId);
    // Children announced at the shard's end can start before the next listing shows them.
    for (const child of outcome.childShards) {
      if (child.ShardId && !this.shards.has(child.ShardId)) {
        this.shards.set(child.ShardId, { shardId: child.ShardId, parentShardIds: child.ParentShards ?? [] });
      }
    }
    this.emit('shardEnded', shardId, outcome.finished);
    void this.requestSync();
  }

  private onLeaseEvent(event: LeaseEvent): void {
    if (event.type === 'error') this.reportError(event.error, event.shardId);
    else if (event.type === 'leaseTaken') this.emit('leaseTaken', event.shardId, event.previousOwner);
    else if (event.type === 'leaseLost') this.emit('leaseLost', event.shardId, event.reason);
    else this.emit('leaseHandedOver', event.shardId, event.to);
  }

  private reportError(error: unknown, shardId?: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, shardId);
    else this.logger.error('consumer error', { shardId, error: (error as Error)?.message ?? String(error) });
  }
}

/** Refuses values GetRecords (or common sense) would not accept, before any call. */
function validateConsumerOptions(o: ConsumerOptions): void {
  const check = (name: keyof ConsumerOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = o[name];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw new RangeError(
        `consumer option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
      );
  };
  check('maxRecordsPerCall', 1, 10_000);
  check('maxBytesPerCall', 1);
  check('pollIntervalMs', 0);
  check('shardSyncIntervalMs', 1);
  check('stopTimeoutMs', 0);
}
