/**
 * In-process workers sharing a 6-shard stream through leases (kinesalite + dynalite): three settle at two
 * shards each, and a fourth joining gets its share by cooperative handoff. No worker fails, so every record is
 * handled exactly once: a lease changes hands only after its holder checkpointed (shutdownRequested).
 */
import { eventually } from '../support/harness.js';
import { FAILOVER_MS, handledCounts, leaseSuite } from './fixtures.js';

describe('leases among in-process workers on kinesalite', () => {
  const lease = leaseSuite();

  it('3 workers settle at 2 shards each; a 4th gets its share by handoff; every record handled once', async () => {
    const stream = await lease.stream('lease-balance', 6);
    lease.write(stream);
    const worker = (workerId: string) => lease.worker(stream, workerId);

    const startedAt = Date.now();
    const [w1, w2, w3] = ['w1', 'w2', 'w3'].map(worker);
    await Promise.all([w1, w2, w3].map((w) => w.consumer.start()));
    const three = await lease.settle(stream, ['w1', 'w2', 'w3'], { startedAt });
    expect(Object.values(three.assignment.owners).map((keys) => keys.length)).toEqual([2, 2, 2]);
    await eventually(() => [w1, w2, w3].every((w) => w.consumer.activeShardIds().length === 2), {
      message: 'two readers on each worker',
    });

    const joinedAt = Date.now();
    const w4 = worker('w4');
    await w4.consumer.start();
    const four = await lease.settle(stream, 4, { startedAt: joinedAt });
    expect(four.assignment.owners.w4).toHaveLength(1); // 2,2,1,1: w4 at 1 needs one, the others are at target
    await eventually(() => w4.consumer.activeShardIds().length === 1, { message: 'w4 reading its shard' });
    const [moved] = four.assignment.owners.w4;
    // Handed over, not stolen: the holder drained (shutdownRequested checkpointed) and handed the lease over.
    const giver = [w1, w2, w3].find((w) =>
      w.events.some((e) => e.event === 'leaseHandedOver' && e.shardId === moved && e.at >= joinedAt),
    )!;
    expect(giver).toBeDefined();
    expect(giver.recorder.calls('shutdownRequested', moved).length).toBeGreaterThan(0);
    const lastOfGiver = giver.recorder.records.filter((r) => r.shardId === moved).at(-1);
    await eventually(() => w4.recorder.calls('initialize', moved).length > 0);
    if (lastOfGiver)
      expect(w4.recorder.calls('initialize', moved)[0].startedFrom).toBe(lastOfGiver.sequenceNumber);

    const written = await lease.allHandled({ timeoutMs: 30_000 });
    await lease.stopWorkers();

    const counts = handledCounts(lease.handled());
    expect(counts.size).toBe(written);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]); // no record twice
    for (const w of lease.workers) {
      expect(w.recorder.calls('leaseLost')).toEqual([]);
      expect(w.events.filter((e) => e.event === 'leaseLost')).toEqual([]);
      expect(w.errors).toEqual([]);
    }
    console.info(`3 workers settled in ${three.elapsedMs} ms; the 4th got its share in ${four.elapsedMs} ms`);
  });

  it('a stopping worker checkpoints and releases its leases: another takes them without waiting for failover', async () => {
    const stream = await lease.stream('lease-stop', 2);
    lease.write(stream, { batch: 10, pauseMs: 30 });
    const [w1, w2] = ['w1', 'w2'].map((workerId) => lease.worker(stream, workerId));
    await Promise.all([w1.consumer.start(), w2.consumer.start()]);
    await lease.settle(stream, 2);
    await eventually(() => w1.consumer.activeShardIds().length === 1 && w1.recorder.records.length > 0);
    const [shardId] = w1.consumer.activeShardIds();

    const stoppedAt = Date.now();
    await w1.consumer.stop();
    expect(w1.recorder.calls('shutdownRequested', shardId)).toHaveLength(1);
    await eventually(() => w2.events.some((e) => e.event === 'leaseTaken' && e.shardId === shardId));
    const takenAfter =
      w2.events.find((e) => e.shardId === shardId && e.event === 'leaseTaken')!.at - stoppedAt;
    expect(takenAfter).toBeLessThan(FAILOVER_MS); // released, not expired

    await lease.allHandled();
    expect([...handledCounts(lease.handled()).values()].filter((n) => n > 1)).toEqual([]);
  });
});
