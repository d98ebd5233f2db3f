/**
 * A split under leases (two workers, kinesalite): the children's leases exist while the parent is still being
 * read, yet nobody takes them until the parent's lease is checkpointed at SHARD_END; then every record is
 * handled once, children after their parent.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ensureStream,
  LeaseTable,
  leaseTableName,
  listShards,
  measureSettle,
  sleep,
  type Lease,
} from '../../libs/kinesis/src/index.js';
import { dynamoClient, eventually, kinesisClient, uniqueName } from '../support/harness.js';
import { handledCounts, leaseWorker, startWriter, TAKE_INTERVAL_MS, type LeaseWorker } from './fixtures.js';

describe('a split under leases (kinesalite)', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const workers: LeaseWorker[] = [];
  let writer: ReturnType<typeof startWriter> | undefined;
  beforeAll(() => {
    kinesis = kinesisClient('kinesalite');
    dynamo = dynamoClient();
  });
  afterEach(async () => {
    await writer?.stop().catch(() => undefined);
    await Promise.all(workers.splice(0).map((w) => w.consumer.stop()));
  });
  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  it("children's leases are taken only after the parent's is checkpointed at SHARD_END", async () => {
    const streamName = uniqueName('lease-split');
    const appName = uniqueName('app');
    const tableName = leaseTableName(appName, streamName);
    const table = new LeaseTable({ client: dynamo, tableName });
    await ensureStream(kinesis, streamName, { shardCount: 2 });
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
      workers.push(
        leaseWorker({
          kinesis,
          dynamo,
          streamName,
          appName,
          workerId,
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
        }),
      );
    }
    writer = startWriter(kinesis, streamName, { batch: 10, pauseMs: 30 });
    await Promise.all(workers.map((w) => w.consumer.start()));
    await measureSettle({ dynamoClient: dynamo, tableName, workers: ['w1', 'w2'] });
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

    const written = await writer.stop();
    const all = () => workers.flatMap((w) => w.recorder.datas());
    await eventually(() => new Set(all()).size >= written, {
      timeoutMs: 30_000,
      message: `${written} records`,
    });
    await Promise.all(workers.map((w) => w.consumer.stop()));

    expect(childrenWhileParentOpen.map((l) => [l.leaseKey, l.leaseOwner, l.parentShardIds])).toEqual(
      childIds.map((c) => [c, undefined, [parent.shardId]]),
    );
    const parentEnded = Math.min(...calls('shardEnded', parent.shardId).map((e) => e.at));
    for (const child of childIds) {
      expect(Math.min(...calls('initialize', child).map((e) => e.at))).toBeGreaterThanOrEqual(parentEnded);
    }
    expect((await table.get(parent.shardId))!.checkpoint?.sequenceNumber).toBe('SHARD_END');
    const counts = handledCounts(all());
    expect(counts.size).toBe(written);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
  });
});
