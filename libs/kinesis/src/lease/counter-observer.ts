import type { Lease } from './lease.js';

/** Lease timing uses a monotonic clock (the KCL uses System.nanoTime): a wall-clock jump must not expire leases. */
export const monotonicNow = (): number => performance.now();

/**
 * Expiry the KCL's way: not from timestamps in the table (workers' clocks differ) but from when THIS worker
 * last saw each lease's counter change. A lease whose counter stood still for `failoverTimeMs` of our own
 * clock has a dead (or stuck) holder.
 */
export class CounterObserver {
  private readonly seen = new Map<string, { counter: number; since: number }>();

  constructor(private readonly failoverTimeMs: number) {}

  /** Records a scan taken at `now`; leases gone from the table are forgotten. */
  observe(leases: Lease[], now: number): void {
    const present = new Set<string>();
    for (const lease of leases) {
      present.add(lease.leaseKey);
      const previous = this.seen.get(lease.leaseKey);
      if (previous?.counter === lease.leaseCounter) continue;
      // First sight: an owned lease counts as just renewed (we cannot know better); changed: renewed now.
      const since = previous || lease.leaseOwner ? now : Number.NEGATIVE_INFINITY;
      this.seen.set(lease.leaseKey, { counter: lease.leaseCounter, since });
    }
    for (const key of this.seen.keys()) if (!present.has(key)) this.seen.delete(key);
  }

  /** Unowned, or its counter has not moved for longer than the failover time. */
  isExpired(lease: Lease, now: number): boolean {
    if (!lease.leaseOwner) return true;
    const seen = this.seen.get(lease.leaseKey);
    if (!seen || seen.counter !== lease.leaseCounter) return false;
    return now - seen.since > this.failoverTimeMs;
  }
}
