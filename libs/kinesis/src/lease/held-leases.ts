import { LeaseLostError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Checkpoint } from '../types.js';
import { monotonicNow } from './counter-observer.js';
import { HeldLease } from './held-lease.js';
import type { LeaseCallbacks, ReaderEnd } from './lease-callbacks.js';
import type { LeaseTable } from './lease-table.js';

export interface HeldLeasesOptions {
  table: LeaseTable;
  workerId: string;
  failoverTimeMs: number;
  logger: Logger;
}

/**
 * The holder's side of the protocol, for the leases this worker holds: renewals (which also bring handoff
 * requests), checkpoints under the lease, hand-overs and releases. Every write is conditional on the counter
 * the previous one left; a refused one means the lease is someone else's now.
 */
export class HeldLeases {
  private readonly held = new Map<string, HeldLease>();

  constructor(
    private readonly o: HeldLeasesOptions,
    private readonly callbacks: LeaseCallbacks,
  ) {}

  get size(): number {
    return this.held.size;
  }

  has(shardId: string): boolean {
    return this.held.has(shardId);
  }

  entries(): Array<[string, HeldLease]> {
    return [...this.held];
  }

  add(shardId: string, counter: number): void {
    this.held.set(shardId, new HeldLease(counter, monotonicNow()));
  }

  /** The consumer's reader for a held shard ended. */
  readerDone(shardId: string, end: ReaderEnd): void {
    const h = this.held.get(shardId);
    if (!h) return;
    if (h.handoffTo) return void this.handOver(shardId, h);
    if (end === 'finished') return void this.release(shardId, h);
    if (end === 'unfinished') h.idle = true;
    // 'stopped': the consumer stops (releaseAll follows); 'failed': the next scan starts a new reader.
  }

  /** A checkpoint under the lease: refused with LeaseLostError unless this worker still holds it. */
  checkpoint(shardId: string, at: Checkpoint): Promise<void> {
    const h = this.held.get(shardId);
    if (!h) return Promise.reject(new LeaseLostError(shardId, `lease not held by worker ${this.o.workerId}`));
    return h.serial(async () => {
      if (this.held.get(shardId) !== h) throw new LeaseLostError(shardId, 'lease lost');
      const lease = await this.o.table.checkpoint(shardId, h.counter, this.o.workerId, at);
      if (!lease) {
        this.lose(shardId, h, 'checkpoint refused: the lease was taken');
        throw new LeaseLostError(shardId, 'checkpoint refused: the lease was taken by another worker');
      }
      h.counter = lease.leaseCounter;
    });
  }

  async renewAll(): Promise<void> {
    const now = monotonicNow();
    await Promise.all(
      [...this.held].map(([shardId, h]) => {
        // Past the failover time others may hold it already: stop reading before more is done twice.
        if (now - h.renewedAt > this.o.failoverTimeMs) {
          return this.lose(shardId, h, `not renewed for ${this.o.failoverTimeMs} ms`);
        }
        return h.serial(() => this.renew(shardId, h));
      }),
    );
  }

  /**
   * Stops holding a lease without releasing it: no renewal, and its checkpoints are refused (LeaseLostError);
   * it expires after the failover time.
   */
  forget(shardId: string): void {
    if (!this.held.delete(shardId)) return;
    this.o.logger.warn('lease left to expire: its processor did not finish before the stop deadline', {
      shardId,
    });
  }

  /** Gives every lease up: others take them at once instead of after the failover time. */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.held].map(([shardId, h]) => this.release(shardId, h)));
  }

  private async renew(shardId: string, h: HeldLease): Promise<void> {
    if (this.held.get(shardId) !== h) return;
    const sentAt = monotonicNow();
    let lease;
    try {
      lease = await this.o.table.renew(shardId, h.counter, this.o.workerId);
    } catch (error) {
      return this.report(error, shardId); // a later renewal may succeed within the failover time
    }
    if (!lease) return this.lose(shardId, h, 'renewal refused: the lease was taken by another worker');
    h.counter = lease.leaseCounter;
    h.renewedAt = sentAt;
    // KCL 3.x: `checkpointOwner` = us and another `leaseOwner` means that worker asked for the lease.
    const requester = lease.checkpointOwner === this.o.workerId ? lease.leaseOwner : undefined;
    if (!requester || requester === this.o.workerId || (h.closing && !h.handoffTo)) return;
    if (!h.handoffTo) {
      h.handoffTo = requester;
      this.o.logger.info('lease asked for: handing it over after the current batch', {
        shardId,
        to: requester,
      });
    }
    // Drained, readerDone hands over; with no reader (or after a failed hand-over) it is done from here.
    if (this.callbacks.hasReader(shardId)) this.callbacks.drainShard(shardId);
    else void this.handOver(shardId, h);
  }

  private handOver(shardId: string, h: HeldLease): Promise<void> {
    h.closing = true;
    return h.serial(async () => {
      if (this.held.get(shardId) !== h) return;
      try {
        const lease = await this.o.table.handOver(shardId, h.counter, this.o.workerId);
        if (!lease && (await this.withdrawn(shardId))) {
          // The requester withdrew (it stopped): the lease is still ours; the next scan restarts its reader.
          [h.handoffTo, h.closing] = [undefined, false];
          return;
        }
        this.held.delete(shardId);
        this.callbacks.onEvent(
          lease
            ? { type: 'leaseHandedOver', shardId, to: lease.leaseOwner ?? h.handoffTo! }
            : { type: 'leaseLost', shardId, reason: 'taken before it was handed over' },
        );
      } catch (error) {
        this.report(error, shardId); // still ours: the next renewal tries the hand-over again
      }
    });
  }

  private async withdrawn(shardId: string): Promise<boolean> {
    const lease = await this.o.table.get(shardId);
    return lease?.leaseOwner === this.o.workerId && !lease.checkpointOwner;
  }

  private release(shardId: string, h: HeldLease): Promise<void> {
    h.closing = true;
    return h.serial(async () => {
      if (this.held.get(shardId) !== h) return;
      this.held.delete(shardId);
      // Not released: it expires after the failover time instead.
      await this.o.table.release(shardId, h.counter, this.o.workerId).catch((e) => this.report(e, shardId));
    });
  }

  private lose(shardId: string, h: HeldLease, reason: string): void {
    if (this.held.get(shardId) !== h) return;
    this.held.delete(shardId);
    this.o.logger.warn('lease lost', { shardId, reason });
    this.callbacks.abandonShard(shardId);
    this.callbacks.onEvent({ type: 'leaseLost', shardId, reason });
  }

  private report(error: unknown, shardId: string): undefined {
    this.callbacks.onEvent({ type: 'error', error, shardId });
    return undefined;
  }
}
