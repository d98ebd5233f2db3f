/**
 * A holder asked for a lease that cannot drain (its processor is stuck in a batch) does not keep the lease:
 * after handoffTimeoutMs (default: the failover time) the requester takes it, as the KCL steals. The holder's
 * renewal is then refused, its processor gets leaseLost, and the stuck batch's checkpoint is refused: that
 * batch is all that is handled twice.
 */
import { eventually } from '../support/harness.js';
import { FAILOVER_MS, handledCounts, leaseSuite } from './fixtures.js';

describe('a cooperative handoff that does not complete (kinesalite)', () => {
  const lease = leaseSuite();

  it('the requester takes the lease after the handoff timeout; the stuck holder gets leaseLost', async () => {
    const stream = await lease.stream('lease-stuck', 2);
    lease.write(stream, { batch: 10, pauseMs: 30 });
    let stuck = false;
    let unstick!: () => void;
    const gate = new Promise<void>((resolve) => (unstick = resolve));
    const w1 = lease.worker(stream, 'w1', { recording: { onBatch: () => (stuck ? gate : undefined) } });
    await w1.consumer.start();
    await eventually(() => w1.consumer.activeShardIds().length === 2, { message: 'w1 reading both shards' });
    const batches = () => w1.recorder.calls('processRecords').length;
    const before = batches();
    stuck = true;
    await eventually(() => batches() >= before + 2, { message: 'w1 stuck in a batch' });

    const joinedAt = Date.now();
    const w2 = lease.worker(stream, 'w2');
    await w2.consumer.start();
    await eventually(() => w2.events.some((e) => e.event === 'leaseTaken'), {
      timeoutMs: FAILOVER_MS * 4,
      message: 'w2 taking a lease',
    });
    const taken = w2.events.find((e) => e.event === 'leaseTaken')!;
    expect(taken.at - joinedAt).toBeGreaterThanOrEqual(FAILOVER_MS); // it waited for the hand-over first
    await eventually(() => w1.events.some((e) => e.event === 'leaseLost' && e.shardId === taken.shardId), {
      message: "w1's renewal refused",
    });
    expect(w1.events.filter((e) => e.event === 'leaseHandedOver')).toEqual([]);
    expect(w1.consumer.activeShardIds()).toContain(taken.shardId); // still stuck in its batch

    unstick();
    await eventually(() => w1.recorder.calls('leaseLost', taken.shardId).length === 1, {
      message: 'leaseLost',
    });
    expect(w1.recorder.calls('shutdownRequested', taken.shardId)).toEqual([]);
    await eventually(() => w2.recorder.calls('processRecords', taken.shardId).length > 0);

    const written = await lease.allHandled();
    await lease.stopWorkers();
    const counts = handledCounts(lease.handled());
    expect(counts.size).toBe(written);
    // Twice: at most the stuck batch of the taken shard (its checkpoint was refused).
    const stuckBatch = w1.recorder.calls('processRecords', taken.shardId).at(-1)!.count!;
    expect([...counts.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(stuckBatch);
  });
});
