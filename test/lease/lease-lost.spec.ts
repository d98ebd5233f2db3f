/**
 * A lease taken from under a reading worker (another writer to the lease table, mid-batch): the worker's
 * checkpoint is refused with LeaseLostError, its processor gets leaseLost (not shutdownRequested) and its
 * reader stops. The thief never renews: after the failover time the worker takes the lease back and resumes
 * at the last stored checkpoint, so only the refused batch is handled twice and nothing is lost.
 */
import { LeaseLostError, LeaseTable, type Lease } from '../../libs/kinesis/src/index.js';
import { eventually, KINESIS_EMULATORS } from '../support/harness.js';
import { FAILOVER_MS, handledCounts, leaseSuite } from './fixtures.js';

describe.each(KINESIS_EMULATORS)('a lease lost while reading, on %s', (emulator) => {
  const lease = leaseSuite(emulator);

  it('stops the reader with leaseLost, refuses its checkpoint, and re-reads from the checkpoint after failover', async () => {
    const stream = await lease.stream('lease-lost', 1);
    const table = new LeaseTable({ client: lease.dynamo, tableName: stream.tableName });
    lease.write(stream, { batch: 10, pauseMs: 20 });
    let stolen: { lease: Lease; at: number } | undefined;
    let batches = 0;
    const w1 = lease.worker(stream, 'w1', {
      recording: {
        // The fourth batch: another worker takes the lease between handling and checkpointing.
        onBatch: async (shardId) => {
          if (++batches !== 4) return;
          const lease = (await table.get(shardId))!;
          stolen = { lease: (await table.take(lease, 'thief'))!, at: Date.now() };
        },
      },
    });
    await w1.consumer.start();
    await eventually(() => stolen !== undefined, { message: 'the steal' });
    const shardId = stolen!.lease.leaseKey;
    expect(stolen!.lease.leaseOwner).toBe('thief');

    await eventually(() => w1.recorder.calls('leaseLost').length === 1, { message: 'leaseLost' });
    expect(w1.recorder.calls('shutdownRequested')).toEqual([]);
    expect(w1.events.filter((e) => e.event === 'leaseLost').map((e) => e.shardId)).toEqual([shardId]);
    expect(w1.errors.length).toBeGreaterThan(0);
    expect(w1.errors.every((e) => e instanceof LeaseLostError)).toBe(true); // the refused checkpoint, typed
    expect(w1.consumer.activeShardIds()).toEqual([]);
    // The refused checkpoint left the table as the thief took it.
    expect((await table.get(shardId))!.checkpoint).toEqual(stolen!.lease.checkpoint);

    // The thief never renews: the worker sees the counter stand still for the failover time and takes it back.
    await eventually(() => w1.events.some((e) => e.event === 'leaseTaken' && e.at > stolen!.at), {
      timeoutMs: FAILOVER_MS * 3,
      message: 'the lease taken back',
    });
    const retakenAfter =
      w1.events.find((e) => e.event === 'leaseTaken' && e.at > stolen!.at)!.at - stolen!.at;
    expect(retakenAfter).toBeGreaterThanOrEqual(FAILOVER_MS);
    // The reader starts after the leaseTaken event (it loads the checkpoint first): wait for its initialize.
    await eventually(() => w1.recorder.calls('initialize').length >= 2, { message: 'the reader restarted' });
    const restarted = w1.recorder.calls('initialize').at(-1)!;
    expect(restarted.startedFrom).toBe(stolen!.lease.checkpoint!.sequenceNumber);

    const written = await lease.allHandled();
    await w1.consumer.stop();
    const counts = handledCounts(w1.recorder.datas());
    expect(counts.size).toBe(written);
    const refusedBatch = w1.recorder.calls('processRecords')[3].count!;
    const twice = [...counts.values()].filter((n) => n > 1);
    expect(twice.length).toBe(refusedBatch);
    expect(twice.every((n) => n === 2)).toBe(true);
  });
});
