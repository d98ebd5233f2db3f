import { CoalescedRun } from '../coalesced-run.js';
import type { Logger } from '../logger.js';
import type { CheckpointStore, ShardInfo, StartPosition } from '../types.js';
import { CounterObserver, monotonicNow } from './counter-observer.js';
import { HandoffRequests } from './handoff-requests.js';
import { HeldLeases } from './held-leases.js';
import type { LeaseCallbacks, ReaderEnd } from './lease-callbacks.js';
import { actualOwner, type Lease } from './lease.js';
import { LeaseCheckpointStore } from './lease-checkpoint-store.js';
import { isWorkable, planBalance } from './lease-balancer.js';
import { resolveLeaseOptions, type LeaseOptions, type ResolvedLeaseOptions } from './lease-options.js';
import { LeaseShareTracker, type LeaseShare } from './lease-share.js';
import { LeaseTable } from './lease-table.js';
import { createMissingLeases } from './shard-sync.js';

export type { LeaseCallbacks, LeaseEvent, ReaderEnd } from './lease-callbacks.js';

export interface LeaseCoordinatorOptions extends ResolvedLeaseOptions {
  streamName: string;
  /** Checkpoint of a new lease without parents: the consumer's start position (TRIM_HORIZON, LATEST, AT_TIMESTAMP). */
  initialPosition: string;
  logger: Logger;
}

/**
 * One worker's side of the KCL's lease protocol: renews the leases it holds every renewIntervalMs, scans the
 * table every takeIntervalMs to take free and expired leases and to balance, hands leases over when asked, and
 * creates leases for shards it lists. Readers are the consumer's: the coordinator says when to start and stop.
 */
export class LeaseCoordinator {
  readonly table: LeaseTable;
  /** Checkpoints under the leases this coordinator holds. */
  readonly checkpointStore: CheckpointStore;
  private readonly held: HeldLeases;
  private readonly observer: CounterObserver;
  private readonly shares: LeaseShareTracker;
  /** The last scan. */
  private known = new Map<string, Lease>();
  private readonly requested: HandoffRequests;
  private readonly timers: { renew?: NodeJS.Timeout; take?: NodeJS.Timeout } = {};
  /** Table scans, one at a time: from the timer, and at once after creating leases. */
  private readonly takes = new CoalescedRun(() => this.takeCycle(), {
    enabled: () => this.state === 'running',
    onError: (error) => this.report(error),
  });
  private renewing: Promise<void> | undefined;
  private state: 'new' | 'running' | 'draining' | 'closed' = 'new';

  constructor(
    private readonly o: LeaseCoordinatorOptions,
    private readonly callbacks: LeaseCallbacks,
  ) {
    this.table = new LeaseTable({
      client: o.dynamoClient,
      tableName: o.tableName,
      createTable: o.createTable,
    });
    this.observer = new CounterObserver(o.failoverTimeMs);
    this.shares = new LeaseShareTracker(o.maxLeasesForWorker);
    this.requested = new HandoffRequests(o.workerId, o.handoffTimeoutMs);
    this.held = new HeldLeases({ ...o, table: this.table }, callbacks);
    this.checkpointStore = new LeaseCheckpointStore(this.table, o.streamName, this.held);
  }

  get workerId(): string {
    return this.o.workerId;
  }

  /** This worker's part of the leases (undefined before the first scan). */
  share(): LeaseShare | undefined {
    return this.shares.share(this.held.size);
  }

  /** Ensures the table, then takes what is ours or free at once; renewals and scans run from then on. */
  async start(): Promise<void> {
    await this.table.ensureTable();
    this.state = 'running';
    await this.takeCycle();
    this.loop(
      'renew',
      () => this.o.renewIntervalMs,
      () => (this.renewing = this.held.renewAll()),
    );
    // While a handoff we asked for is under way, scan more often: the shard is unread from its hand-over
    // until we take it.
    const takeInterval = () =>
      this.requested.size > 0
        ? Math.min(this.o.takeIntervalMs, Math.ceil(this.o.renewIntervalMs / 2))
        : this.o.takeIntervalMs;
    this.loop('take', takeInterval, () => this.takes.request());
  }

  /** Creates leases for listed shards that have none (parents first), then scans to take them. */
  async syncShards(shards: ShardInfo[]): Promise<void> {
    for (const [, h] of this.held.entries()) h.idle = false;
    const created = await createMissingLeases(this.table, shards, this.known, this.o.initialPosition);
    if (created > 0) await this.takes.request();
    else this.ensureReaders();
  }

  /** The consumer's reader for a held shard ended. */
  readerDone(shardId: string, end: ReaderEnd): void {
    this.held.readerDone(shardId, end);
  }

  /** Stops taking leases; renewals go on so the readers can still checkpoint while they stop. */
  async stopTaking(): Promise<void> {
    if (this.state === 'running') this.state = 'draining';
    clearTimeout(this.timers.take);
    await this.takes.current;
  }

  /**
   * Stops renewing at once, then gives the leases up (others take them at once instead of after the failover
   * time), except those of `unfinished` shards, whose processor may still be at work: those are no longer
   * renewed either, and expire after the failover time (another worker then takes them and re-reads from their
   * last checkpoint).
   */
  async close(unfinished: Iterable<string> = []): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.timers.take);
    clearTimeout(this.timers.renew);
    for (const shardId of unfinished) this.held.forget(shardId);
    await this.takes.current?.catch(() => undefined);
    await this.renewing?.catch(() => undefined);
    await this.held.releaseAll();
    // Withdraw our pending requests: a holder handing over to a stopped worker would leave the lease idle.
    await Promise.all(
      this.requested
        .pending(this.known)
        .map((l) => this.table.cancelHandoff(l, this.workerId).catch((e) => this.report(e, l.leaseKey))),
    );
  }

  private loop(name: 'renew' | 'take', intervalMs: () => number, run: () => Promise<void>): void {
    this.timers[name] = setTimeout(async () => {
      await run().catch((error) => this.report(error));
      const stopped = this.state === 'closed' || (name === 'take' && this.state !== 'running');
      if (!stopped) this.loop(name, intervalMs, run);
    }, intervalMs());
  }

  private async takeCycle(): Promise<void> {
    const me = this.workerId;
    const leases = await this.table.list();
    const now = monotonicNow();
    this.observer.observe(leases, now);
    this.known = new Map(leases.map((l) => [l.leaseKey, l]));
    const toTake = new Map<string, Lease>();
    const free = (l: Lease) => !this.held.has(l.leaseKey) && isWorkable(l, this.known);
    // Ours but not held: handed over to us, or left by an earlier run under this worker id.
    for (const lease of leases.filter(free)) if (actualOwner(lease) === me) toTake.set(lease.leaseKey, lease);
    for (const lease of this.requested.overdue(leases, now).filter(free)) {
      this.o.logger.warn('holder did not hand the lease over in time: taking it', {
        shardId: lease.leaseKey,
        holder: lease.checkpointOwner,
      });
      toTake.set(lease.leaseKey, lease);
    }
    const plan = planBalance({
      workerId: me,
      leases,
      isExpired: (l) => this.observer.isExpired(l, now),
      maxLeasesForWorker: this.o.maxLeasesForWorker,
      maxLeasesToStealAtOneTime: this.o.maxLeasesToStealAtOneTime,
    });
    for (const lease of plan.take.filter(free)) toTake.set(lease.leaseKey, lease);
    const taken = await Promise.all([...toTake.values()].map((lease) => this.take(lease)));
    // The free leases taken now are no longer unleased.
    const takenFree = [...toTake.values()].filter((l, i) => taken[i] && plan.take.includes(l)).length;
    this.shares.scanned(plan, this.held.size, takenFree);
    for (const lease of plan.request) {
      if (this.state !== 'running') break;
      const asked = await this.table.requestHandoff(lease, me).catch((e) => this.report(e, lease.leaseKey));
      if (!asked) continue;
      this.requested.add(lease, monotonicNow());
      this.o.logger.info('asked for a lease', {
        shardId: lease.leaseKey,
        holder: lease.leaseOwner,
        target: plan.target,
      });
    }
    this.ensureReaders();
  }

  private async take(lease: Lease): Promise<boolean> {
    const taken = await this.table
      .take(lease, this.workerId)
      .catch((error) => this.report(error, lease.leaseKey));
    if (!taken) return false;
    const previousOwner =
      actualOwner(lease) === this.workerId ? this.requested.holderOf(lease.leaseKey) : actualOwner(lease);
    this.requested.delete(lease.leaseKey);
    this.held.add(lease.leaseKey, taken.leaseCounter);
    this.callbacks.onEvent({ type: 'leaseTaken', shardId: lease.leaseKey, previousOwner });
    return true;
  }

  /** Starts a reader for every held lease that should have one (new, or whose reader failed). */
  private ensureReaders(): void {
    if (this.state !== 'running') return;
    for (const [shardId, h] of this.held.entries()) {
      if (!h.closing && !h.idle && !h.handoffTo && !this.callbacks.hasReader(shardId)) {
        this.callbacks.startShard(shardId);
      }
    }
  }

  private report(error: unknown, shardId?: string): undefined {
    this.callbacks.onEvent({ type: 'error', error, shardId });
    return undefined;
  }
}

/** The Consumer's lease side, from its options (checkpointingOf chose the leases over a checkpoint store). */
export function consumerLeaseCoordinator(
  leases: LeaseOptions,
  consumer: { streamName: string; startPosition: StartPosition; logger: Logger },
  callbacks: LeaseCallbacks,
): LeaseCoordinator {
  return new LeaseCoordinator(
    {
      ...resolveLeaseOptions(leases, consumer.streamName),
      streamName: consumer.streamName,
      initialPosition: consumer.startPosition.type,
      logger: consumer.logger,
    },
    callbacks,
  );
}
