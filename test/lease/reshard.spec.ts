/**
 * A split under leases (two workers, kinesalite): the children's leases exist while the parent is still being
 * read, yet nobody takes them until the parent's lease is checkpointed at SHARD_END; then every record is
 * handled once, children after their parent.
 */
import { DescribeStreamSummaryCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { LeaseTable, listShards, sleep, type Lease } from '../../libs/kinesis/src/index.js';
import { eventually } from '../support/harness.js';
import { handledCounts, leaseSuite, TAKE_INTERVAL_MS } from './fixtures.js';

describe('a split under leases (kinesalite)', () => {
  const lease = leaseSuite();

  it("children's leases are taken only after the parent's is checkpointed at SHARD_END", async () => {
    const { kinesis, dynamo, workers } = lease;
    const stream = await lease.stream('lease-split', 2);
    const { streamName } = stream;
    const table = new LeaseTable({ client: dynamo, tableName: stream.tableName });
    const [parent] = await listShards(kinesis, streamName);
    let childIds: string[] = [];
    /** The children's leases, seen while the parent's shardEnded was held back. */
    let childrenWhileParentOpen: Lease[] = [];
    // The parent's end is held until its children's leases exist and two scans went by: they must stay free.
    const holdParentEnd = async () => {
      await eventually(
        async () => childIds.length === 2 && (await table.list()).some((l) => childIds.includes(l.leaseKey)),
        {
          message: "the children's leases",
        },
      );
      await sleep(3 * TAKE_INTERVAL_MS);
      childrenWhileParentOpen = (await table.list()).filter((l) => childIds.includes(l.leaseKey));
    };
    for (const workerId of ['w1', 'w2']) {
      lease.worker(stream, workerId, {
        consumer: { shardSyncIntervalMs: 300 },
        wrap: (shardId, recording) =>
          shardId !== parent.shardId
            ? recording
            : {
                ...recording,
                shardEnded: async (input) => {
                  await holdParentEnd();
                  await recording.shardEnded(input);
                },
              },
      });
    }
    lease.write(stream, { batch: 10, pauseMs: 30 });
    await Promise.all(workers.map((w) => w.consumer.start()));
    await lease.settle(stream, ['w1', 'w2']);
    await eventually(() =>
      workers.some((w) => w.recorder.calls('processRecords', parent.shardId).length > 0),
    );

    const middle = ((BigInt(parent.startingHashKey!) + BigInt(parent.endingHashKey!)) / 2n).toString();
    await kinesis.send(
      new SplitShardCommand({
        StreamName: streamName,
        ShardToSplit: parent.shardId,
        NewStartingHashKey: middle,
      }),
    );
    await eventually(async () => {
      const { StreamDescriptionSummary: s } = await kinesis.send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      return s?.StreamStatus === 'ACTIVE';
    });
    childIds = (await listShards(kinesis, streamName))
      .filter((s) => s.parentShardIds.includes(parent.shardId))
      .map((s) => s.shardId);
    const calls = (call: 'initialize' | 'shardEnded' | 'processRecords', shardId: string) =>
      workers.flatMap((w) => w.recorder.calls(call, shardId));
    await eventually(() => childIds.every((c) => calls('processRecords', c).length > 0), {
      timeoutMs: 30_000,
      message: 'both children read',
    });

    const written = await lease.allHandled({ timeoutMs: 30_000 });
    await lease.stopWorkers();

    expect(childrenWhileParentOpen.map((l) => [l.leaseKey, l.leaseOwner, l.parentShardIds])).toEqual(
      childIds.map((c) => [c, undefined, [parent.shardId]]),
    );
    const parentEnded = Math.min(...calls('shardEnded', parent.shardId).map((e) => e.at));
    for (const child of childIds) {
      expect(Math.min(...calls('initialize', child).map((e) => e.at))).toBeGreaterThanOrEqual(parentEnded);
    }
    expect((await table.get(parent.shardId))!.checkpoint?.sequenceNumber).toBe('SHARD_END');
    const counts = handledCounts(lease.handled());
    expect(counts.size).toBe(written);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
  });
});
