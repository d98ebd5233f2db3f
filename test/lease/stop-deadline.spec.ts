/**
 * Consumer.stop() with a processor that never settles: stop() returns after stopTimeoutMs, the hung shard's
 * lease is no longer renewed (left to expire) while the finished shard's lease is released, and another worker
 * takes the hung lease after the failover time and reads its uncheckpointed record again.
 */
import { LeaseTable } from '../../libs/kinesis/src/index.js';
import { eventually } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { FAILOVER_MS, leaseSuite } from './fixtures.js';

describe('Consumer.stop() deadline with leases (kinesalite + dynalite)', () => {
  const suite = leaseSuite();

  it('returns with a hung processor; its lease is left to expire, then taken over and re-read', async () => {
    const stream = await suite.stream('stop-deadline', 2);
    const table = new LeaseTable({ client: suite.dynamo, tableName: stream.tableName });
    let hungShard: string | undefined;
    const a = suite.worker(stream, 'worker-a', {
      consumer: { stopTimeoutMs: 300 },
      recording: {
        // The first batch with records never finishes (and is never checkpointed).
        onBatch: (shardId, { records }) => {
          if (records.length === 0 || hungShard) return;
          hungShard = shardId;
          return new Promise<void>(() => undefined);
        },
      },
    });
    await a.consumer.start();
    await eventually(
      async () => (await table.list()).filter((l) => l.leaseOwner === 'worker-a').length === 2,
      {
        message: 'worker-a holding both leases',
      },
    );
    await putRaw(suite.kinesis, stream.streamName, [{ data: 'stuck-1', key: 'k' }]);
    await eventually(() => hungShard !== undefined, { message: 'the hung batch' });

    await a.consumer.stop();

    const afterStop = new Map((await table.list()).map((l) => [l.leaseKey, l]));
    const hung = afterStop.get(hungShard!)!;
    const idle = [...afterStop.values()].find((l) => l.leaseKey !== hungShard)!;
    expect(idle.leaseOwner).toBeUndefined(); // finished: released at once
    expect(hung.leaseOwner).toBe('worker-a'); // not finished: left to expire
    // No renewal after stop(): two renewal intervals (failover / 3 each) later the counter stands still.
    await new Promise((r) => setTimeout(r, (2 * FAILOVER_MS) / 3 + 200));
    expect((await table.get(hungShard!))?.leaseCounter).toBe(hung.leaseCounter);

    const b = suite.worker(stream, 'worker-b');
    await b.consumer.start();
    await eventually(() => b.events.some((e) => e.event === 'leaseTaken' && e.shardId === hungShard), {
      timeoutMs: 4 * FAILOVER_MS,
      message: 'worker-b taking the expired lease',
    });
    // B took it as expired: its counter stood still for the failover time, as B observed it.
    expect((await table.get(hungShard!))?.leaseOwner).toBe('worker-b');
    await eventually(() => b.recorder.datas().includes('stuck-1'), { message: 'stuck-1 read again' });
  }, 60_000);
});
