import { EventEmitter } from 'node:events';
import { MemoryCheckpointStore, withRetries } from '../checkpoint/index.js';
import { CoalescedRun } from '../coalesced-run.js';
import type { LeaseEvent, ReaderEnd } from '../lease/lease-callbacks.js';
import { consumerLeaseCoordinator, type LeaseCoordinator } from '../lease/lease-coordinator.js';
import { defaultLogger, type Logger } from '../logger.js';
import type { CheckpointStore, ShardInfo } from '../types.js';
import { isShardEnd } from '../types.js';
import {
  checkpointingOf,
  CONSUMER_DEFAULTS,
  validateConsumerOptions,
  type ConsumerOptions,
} from './consumer-options.js';
import type { ConsumerHealth } from './consumer-health.js';
import { settlesBy } from './deadline.js';
import { ensureStreamConsumer, FanOutShardReader } from './fan-out.js';
import { listShards } from './shard-lister.js';
import { ShardReader, type ShardReaderOptions, type ShardReaderOutcome } from './shard-reader.js';

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
    const checkpointing = checkpointingOf(options);
    this.leases =
      checkpointing.kind === 'leases'
        ? consumerLeaseCoordinator(
            checkpointing.leases,
            {
              streamName: options.streamName,
              startPosition: options.startPosition ?? CONSUMER_DEFAULTS.startPosition,
              logger: this.logger,
            },
            {
              startShard: (shardId) =>
                this.running && !this.readers.has(shardId) && this.startReader(shardId),
              hasReader: (shardId) => this.readers.has(shardId),
              abandonShard: (shardId) => this.readers.get(shardId)?.reader.loseLease(),
              drainShard: (shardId) => this.readers.get(shardId)?.reader.stop(),
              onEvent: (event) => this.onLeaseEvent(event),
            },
          )
        : undefined;
    const store =
      this.leases?.checkpointStore ??
      (checkpointing.kind === 'store' ? checkpointing.store : new MemoryCheckpointStore());
    this.store = withRetries(store, {
      attempts: options.checkpointAttempts ?? CONSUMER_DEFAULTS.checkpointAttempts,
      logger: this.logger,
    });
  }

  get streamName(): string {
    return this.options.streamName;
  }

  /** Shards being read now. */
  activeShardIds(): string[] {
    return [...this.readers.keys()];
  }

  /** Per shard read: lag, last read, throttling streak; with `leases`, this worker's share (consumer-health.ts). */
  health(): ConsumerHealth {
    const shards = [...this.readers.values()].map(({ reader }) => reader.readState());
    const leases = this.leases?.share();
    return { streamName: this.streamName, running: this.running, shards, ...(leases ? { leases } : {}) };
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
    const interval = this.options.shardSyncIntervalMs ?? CONSUMER_DEFAULTS.shardSyncIntervalMs;
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
    const deadline =
      Date.now() + (timeoutMs ?? this.options.stopTimeoutMs ?? CONSUMER_DEFAULTS.stopTimeoutMs);
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
      startPosition: o.startPosition ?? CONSUMER_DEFAULTS.startPosition,
      pollIntervalMs: o.pollIntervalMs ?? CONSUMER_DEFAULTS.pollIntervalMs,
      maxRecordsPerCall: o.maxRecordsPerCall ?? CONSUMER_DEFAULTS.maxRecordsPerCall,
      maxBytesPerCall: o.maxBytesPerCall ?? CONSUMER_DEFAULTS.maxBytesPerCall,
      throttleBackoff: o.throttleBackoff ?? CONSUMER_DEFAULTS.throttleBackoff,
      callProcessRecordsEvenForEmptyRecordList:
        o.callProcessRecordsEvenForEmptyRecordList ??
        CONSUMER_DEFAULTS.callProcessRecordsEvenForEmptyRecordList,
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

/** How a shard's reader ended, in the leases' terms (`failed`: it threw). */
function readerEndOf(outcome: ShardReaderOutcome | undefined): ReaderEnd {
  if (!outcome) return 'failed';
  if (outcome.kind !== 'ended') return 'stopped';
  return outcome.finished ? 'finished' : 'unfinished';
}
