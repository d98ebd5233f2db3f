import type { BalancePlan } from './lease-balancer.js';
import { isBelowShare, LeaseShareTracker } from './lease-share.js';

const MAX = Number.MAX_SAFE_INTEGER;
const share = (leasesHeld: number, openShards: number, workers: number, unleasedShards = 0) => ({
  leasesHeld,
  openShards,
  workers,
  unleasedShards,
  evenShare: Math.ceil(openShards / workers),
});

describe('isBelowShare', () => {
  it.each([
    ['2 of 4 leases on 2 workers', share(2, 4, 2), MAX, false],
    ['1 of 3 on 2 workers (the balancer settles at 2 and 1)', share(1, 3, 2), MAX, false],
    ['1 of 5 on 3 workers (2, 2, 1)', share(1, 5, 3), MAX, false],
    ['0 of 4 on 5 workers, every shard leased', share(0, 4, 5), MAX, false],
    ['1 of 4 on 2 workers, capped at 1 by maxLeasesForWorker', share(1, 4, 2), 1, false],
    ['0 of 4 on 2 workers (the other holds all)', share(0, 4, 2), MAX, true],
    ['1 of 6 on 2 workers', share(1, 6, 2), MAX, true],
    ['none while a shard is unleased, more workers than shards', share(0, 4, 5, 1), MAX, true],
  ])('%s: %s', (_, s, maxLeasesForWorker, below) => {
    expect(isBelowShare(s, maxLeasesForWorker)).toBe(below);
  });
});

describe('LeaseShareTracker', () => {
  const plan = (workable: number, workers: number, available: number): BalancePlan => ({
    take: [],
    request: [],
    target: Math.ceil(workable / workers),
    workers,
    mine: 0,
    workable,
    available,
  });

  it('keeps since when a worker is below its share across scans, and forgets it once it holds it', () => {
    const tracker = new LeaseShareTracker(MAX);
    expect(tracker.share(0)).toBeUndefined(); // before the first scan
    tracker.scanned(plan(4, 2, 0), 0, 0, 1_000);
    tracker.scanned(plan(4, 2, 0), 1, 0, 2_000);
    expect(tracker.share(1)).toEqual({ ...share(1, 4, 2), belowShareSince: 1_000 });
    tracker.scanned(plan(4, 2, 0), 2, 0, 3_000);
    expect(tracker.share(2)).toEqual(share(2, 4, 2));
  });

  it('is below its share from when it lost leases between scans (no scan completes while the table is down)', () => {
    const tracker = new LeaseShareTracker(MAX);
    tracker.scanned(plan(4, 2, 0), 2, 0, 1_000);
    expect(tracker.share(2, 2_000)).toEqual(share(2, 4, 2));
    expect(tracker.share(0, 3_000)).toEqual({ ...share(0, 4, 2), belowShareSince: 3_000 });
    expect(tracker.share(0, 4_000)).toEqual({ ...share(0, 4, 2), belowShareSince: 3_000 });
    tracker.scanned(plan(4, 2, 0), 2, 0, 5_000); // its leases back
    expect(tracker.share(2, 6_000)).toEqual(share(2, 4, 2));
  });

  it('does not count as unleased the free leases the scan took', () => {
    const tracker = new LeaseShareTracker(MAX);
    tracker.scanned(plan(1, 1, 1), 1, 1, 1_000);
    expect(tracker.share(1)).toEqual(share(1, 1, 1, 0));
  });
});
