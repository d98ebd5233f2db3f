/** The read-gap (stall) check over a shard's read state: from the reader's start, its last read, or its wake-up. */
import { shardReadProblems, ShardReadTracker } from './consumer-health.js';

const limits = { maxLagMs: 0, maxThrottleStreak: 0, maxReadGapMs: 1_000 };

describe('shardReadProblems: stalled', () => {
  it('is stalled when no read returned since the reader started, or since its last read', () => {
    const tracker = new ShardReadTracker('shardId-0');
    const started = tracker.state().awaitingReadSince!;
    expect(shardReadProblems(tracker.state(), limits, started + 1_000)).toEqual([]);
    expect(shardReadProblems(tracker.state(), limits, started + 1_001)).toEqual([
      { shardId: 'shardId-0', problem: 'stalled', detail: 'no read returned for 1001 ms > 1000 (none yet)' },
    ]);
    tracker.read(0);
    const { lastReadAt } = tracker.state();
    expect(shardReadProblems(tracker.state(), limits, lastReadAt! + 1_000)).toEqual([]);
    expect(shardReadProblems(tracker.state(), limits, lastReadAt! + 5_000)).toMatchObject([
      { problem: 'stalled', detail: 'no read returned for 5000 ms > 1000 (the last 5000 ms ago)' },
    ]);
  });

  it('awaits no read while paused (idle), and from its wake-up once resumed', () => {
    const tracker = new ShardReadTracker('shardId-0');
    tracker.paused();
    expect(tracker.state().awaitingReadSince).toBeUndefined();
    expect(shardReadProblems(tracker.state(), limits, Date.now() + 60_000)).toEqual([]);
    tracker.resumed();
    const resumedAt = tracker.state().awaitingReadSince!;
    expect(shardReadProblems(tracker.state(), limits, resumedAt + 1_000)).toEqual([]);
    expect(shardReadProblems(tracker.state(), { ...limits, maxReadGapMs: 0 }, resumedAt + 9_000)).toEqual([]);
  });
});
