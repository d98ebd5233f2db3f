import type { BalancePlan } from './lease-balancer.js';

/** A worker's part of the leases, as its last scan of the lease table saw them (for health checks). */
export interface LeaseShare {
  /** Leases this worker holds now. */
  leasesHeld: number;
  /** Live workers: owners of unexpired leases, this one included. */
  workers: number;
  /** Workable leases (open shards whose parents are done). */
  openShards: number;
  /** The balancer's target: ceil(openShards / workers), at most maxLeasesForWorker. */
  evenShare: number;
  /** Open shards nobody holds (free, or their holder stopped renewing). */
  unleasedShards: number;
  /**
   * Since when (epoch ms) this worker has held fewer than a balanced worker holds, or none while shards are
   * unleased (`isBelowShare`); undefined while it holds its share.
   */
  belowShareSince?: number;
}

/**
 * Below its share: fewer leases than any worker holds once balanced (the balancer stops when no two workers
 * are more than one apart, so floor(openShards / workers), not the ceil it aims at: 3 shards on 2 workers
 * settle at 2 and 1), or none while shards are unleased.
 */
export function isBelowShare(s: Omit<LeaseShare, 'belowShareSince'>, maxLeasesForWorker: number): boolean {
  const balanced = Math.min(maxLeasesForWorker, Math.floor(s.openShards / Math.max(1, s.workers)));
  return s.leasesHeld < balanced || (s.leasesHeld === 0 && s.unleasedShards > 0);
}

/** Tracks a worker's share scan after scan (the coordinator calls `scanned` after each scan's takes). */
export class LeaseShareTracker {
  private last: Omit<LeaseShare, 'leasesHeld' | 'belowShareSince'> | undefined;
  private belowSince: number | undefined;

  constructor(private readonly maxLeasesForWorker: number) {}

  /** After a scan's takes: `takenFree`, the free or expired leases of the plan this worker took. */
  scanned(plan: BalancePlan, leasesHeld: number, takenFree: number, now = Date.now()): void {
    this.last = {
      workers: plan.workers,
      openShards: plan.workable,
      evenShare: plan.target,
      unleasedShards: plan.available - takenFree,
    };
    const below = isBelowShare({ ...this.last, leasesHeld }, this.maxLeasesForWorker);
    this.belowSince = below ? (this.belowSince ?? now) : undefined;
  }

  /**
   * Undefined before the first scan. Judged again with the leases held now: leases lost between scans (renewals
   * failing, the table unreachable so no scan completes) put the worker below its share from now on.
   */
  share(leasesHeld: number, now = Date.now()): LeaseShare | undefined {
    if (!this.last) return undefined;
    if (this.belowSince === undefined && isBelowShare({ ...this.last, leasesHeld }, this.maxLeasesForWorker))
      this.belowSince = now;
    return {
      leasesHeld,
      ...this.last,
      ...(this.belowSince === undefined ? {} : { belowShareSince: this.belowSince }),
    };
  }
}
