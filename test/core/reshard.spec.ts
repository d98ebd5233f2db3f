/**
 * Split and merge while records flow: every record consumed, per-key order kept, children after parents.
 * kinesalite returns no ChildShards at a shard's end, kinesis-local does: both paths are exercised.
 */
import {
  DescribeStreamSummaryCommand,
  MergeShardsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { Consumer, listShards, silentLogger, ensureStream } from '../../libs/kinesis/src/index.js';
import { eventually, KINESIS_EMULATORS, kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { expectPerKeyOrder, Recorder } from '../support/recording-processor.js';

async function waitActive(client: KinesisClient, streamName: string) {
  await eventually(
    async () => {
      const { StreamDescriptionSummary: s } = await client.send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      return s?.StreamStatus === 'ACTIVE';
    },
    { message: 'stream ACTIVE' },
  );
}

describe.each(KINESIS_EMULATORS)('resharding on %s', (emulator) => {
  it('consumes every record across a split and a merge, children after their parents', async () => {
    const client = kinesisClient(emulator);
    const streamName = uniqueName('reshard');
    await ensureStream(client, streamName, { shardCount: 2 });
    const recorder = new Recorder();
    const consumer = new Consumer({
      client,
      streamName,
      processorFactory: recorder.factory(),
      pollIntervalMs: 50,
      shardSyncIntervalMs: 60_000, // only shard ends may trigger discovery in this test
      logger: silentLogger,
    });
    await consumer.start();

    let written = 0;
    let writing = true;
    const keys = 16;
    const writer = (async () => {
      while (writing) {
        const batch = Array.from({ length: 20 }, () => {
          const n = written++;
          return { data: `k${n % keys}:${n}`, key: `k${n % keys}` };
        });
        await putRaw(client, streamName, batch);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await eventually(() => recorder.records.length > 100, { message: 'traffic before the split' });
    const [first] = await listShards(client, streamName);
    const middle = ((BigInt(first.startingHashKey!) + BigInt(first.endingHashKey!)) / 2n).toString();
    await client.send(
      new SplitShardCommand({
        StreamName: streamName,
        ShardToSplit: first.shardId,
        NewStartingHashKey: middle,
      }),
    );
    await waitActive(client, streamName);
    const children = (await listShards(client, streamName)).filter((s) =>
      s.parentShardIds.includes(first.shardId),
    );
    expect(children).toHaveLength(2);
    await eventually(() => children.every((c) => recorder.calls('processRecords', c.shardId).length > 0), {
      message: 'the split children read',
    });

    // Merge the two children back together.
    const [low, high] = children.sort((a, b) =>
      BigInt(a.startingHashKey!) < BigInt(b.startingHashKey!) ? -1 : 1,
    );
    await client.send(
      new MergeShardsCommand({
        StreamName: streamName,
        ShardToMerge: low.shardId,
        AdjacentShardToMerge: high.shardId,
      }),
    );
    await waitActive(client, streamName);
    const merged = (await listShards(client, streamName)).find((s) =>
      s.parentShardIds.includes(low.shardId),
    )!;
    expect(merged.parentShardIds.sort()).toEqual([low.shardId, high.shardId].sort());
    await eventually(() => recorder.calls('processRecords', merged.shardId).length > 0, {
      message: 'merged shard read',
    });
    writing = false;
    await writer;

    await eventually(() => new Set(recorder.datas()).size >= written, {
      timeoutMs: 30_000,
      message: `${written} records`,
    });
    await consumer.stop();
    client.destroy();

    expect(new Set(recorder.datas()).size).toBe(written);
    expect(recorder.records.length).toBe(written); // each exactly once: parents checkpointed before children started
    expectPerKeyOrder(recorder.datas());
    const startOf = (shardId: string) => recorder.calls('initialize', shardId)[0].at;
    const endOf = (shardId: string) => recorder.calls('shardEnded', shardId)[0].at;
    for (const child of children) expect(startOf(child.shardId)).toBeGreaterThanOrEqual(endOf(first.shardId));
    expect(startOf(merged.shardId)).toBeGreaterThanOrEqual(Math.max(endOf(low.shardId), endOf(high.shardId)));
  });
});
