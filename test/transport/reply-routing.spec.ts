/** The client reads one reply shard and follows it through a split and a merge; throttling shows in status. */
import type { INestApplicationContext } from '@nestjs/common';
import { MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom } from 'rxjs';
import { ensureStream, isAggregated, listShards } from '../../libs/kinesis/src/index.js';
import { readStream } from '../support/stream-reader.js';
import type { ClientKinesis } from '../../libs/transport/src/index.js';
import { injectFaults, serviceError } from '../support/faults.js';
import {
  eventually,
  KINESIS_EMULATORS,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
} from '../support/harness.js';
import { startClient, startService, type RunningService } from './fixtures.js';

describe.each(KINESIS_EMULATORS)('reply routing on %s', (emulator) => {
  let admin: KinesisClient;
  let service: RunningService;
  const apps: INestApplicationContext[] = [];
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const base = () => ({ endpoint: kinesisEndpoint(emulator), region: 'us-east-1', actStream, resStream });

  beforeAll(async () => {
    admin = kinesisClient(emulator);
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    service = await startService(base());
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await service?.close();
    admin.destroy();
  });

  it('follows its reply shard through a split and a merge', async () => {
    const { app, client } = await startClient({ ...base(), timeoutMs: 20_000 });
    apps.push(app);
    const c = client as ClientKinesis;
    const hashKey = BigInt(c.replyHashKey!);
    const [parent] = await listShards(admin, resStream);
    expect(c.replyShardId).toBe(parent.shardId);
    expect(await firstValueFrom(c.send('sum', [1, 2]))).toBe(3);

    const middle = ((BigInt(parent.startingHashKey!) + BigInt(parent.endingHashKey!)) / 2n).toString();
    await admin.send(
      new SplitShardCommand({
        StreamName: resStream,
        ShardToSplit: parent.shardId,
        NewStartingHashKey: middle,
      }),
    );
    await ensureStream(admin, resStream);
    const children = (await listShards(admin, resStream)).filter((s) =>
      s.parentShardIds.includes(parent.shardId),
    );
    const mine = children.find(
      (s) => BigInt(s.startingHashKey!) <= hashKey && hashKey <= BigInt(s.endingHashKey!),
    )!;
    expect(await firstValueFrom(c.send('sum', [2, 3]))).toBe(5);
    await eventually(() => c.replyShardId === mine.shardId, { message: 'the client on its child shard' });

    const [low, high] = children.sort((a, b) =>
      BigInt(a.startingHashKey!) < BigInt(b.startingHashKey!) ? -1 : 1,
    );
    await admin.send(
      new MergeShardsCommand({
        StreamName: resStream,
        ShardToMerge: low.shardId,
        AdjacentShardToMerge: high.shardId,
      }),
    );
    await ensureStream(admin, resStream);
    const merged = (await listShards(admin, resStream)).find((s) => s.parentShardIds.includes(low.shardId))!;
    expect(await firstValueFrom(c.send('sum', [3, 4]))).toBe(7);
    await eventually(() => c.replyShardId === merged.shardId, { message: 'the client on the merged shard' });
    expect(await firstValueFrom(c.send('sum', [4, 5]))).toBe(9);
  }, 60_000);

  it('reports throttling of its reply shard in status, and keeps working', async () => {
    const aws = kinesisClient(emulator);
    let throttles = 2;
    injectFaults(aws, {
      GetRecords: async ({ send }) => {
        if (throttles-- > 0) throw serviceError('ProvisionedThroughputExceededException');
        return send();
      },
    });
    const { app, client } = await startClient({ ...base(), awsClient: aws, timeoutMs: 20_000 });
    apps.push(app);
    const statuses: string[] = [];
    (client as ClientKinesis).status.subscribe((s) => statuses.push(s));
    // An idle client does not read: the call makes it poll (throttled twice, then the answer).
    const answer = firstValueFrom(client.send('sum', [1, 1]));
    await eventually(() => statuses.includes('throttled'), { message: 'a throttled status' });
    expect(await answer).toBe(2);
    await app.close();
    aws.destroy();
  });

  it('does not poll its reply shard while no call awaits a reply, and reads again when one starts', async () => {
    const aws = kinesisClient(emulator);
    const faults = injectFaults(aws, {});
    const { app, client } = await startClient({ ...base(), awsClient: aws, timeoutMs: 20_000 });
    apps.push(app);
    expect(await firstValueFrom(client.send('sum', [1, 2]))).toBe(3);
    await new Promise((r) => setTimeout(r, 100)); // a poll in flight when the call ended may finish
    const idleFrom = faults.calls.get('GetRecords') ?? 0;
    await new Promise((r) => setTimeout(r, 600)); // 30 poll intervals of 20 ms
    expect(faults.calls.get('GetRecords') ?? 0).toBe(idleFrom);
    expect(await firstValueFrom(client.send('sum', [2, 2]))).toBe(4);
    expect(faults.calls.get('GetRecords')).toBeGreaterThan(idleFrom);
    await app.close();
    aws.destroy();
  });

  it('renews an iterator that expired while idle from where it stopped reading, not LATEST', async () => {
    const aws = kinesisClient(emulator);
    const positions: string[] = [];
    let expire = true;
    injectFaults(aws, {
      GetShardIterator: async ({ input, send }) => {
        positions.push(input.ShardIteratorType);
        return send();
      },
      // The first read after connecting finds its iterator expired (as after 5 idle minutes).
      GetRecords: async ({ send }) => {
        if (!expire) return send();
        expire = false;
        throw serviceError('ExpiredIteratorException');
      },
    });
    const { app, client } = await startClient({ ...base(), awsClient: aws, timeoutMs: 20_000 });
    apps.push(app);
    expect(await firstValueFrom(client.send('sum', [5, 5]))).toBe(10);
    // LATEST at connect; the renewal reads from just before connecting, so the answer cannot be skipped.
    expect(positions).toEqual(['LATEST', 'AT_TIMESTAMP']);
    await app.close();
    aws.destroy();
  });

  it('KPL-aggregates requests and replies when asked: 200 calls in far fewer records', async () => {
    const act = uniqueName('act-agg');
    const res = uniqueName('res-agg');
    await ensureStream(admin, act, { shardCount: 1 });
    await ensureStream(admin, res, { shardCount: 1 });
    const streams = { ...base(), actStream: act, resStream: res };
    const aggregating = await startService({ ...streams, replyAggregation: true, concurrency: 64 });
    const { app, client } = await startClient({
      ...streams,
      aggregation: true,
      lingerMs: 5,
      timeoutMs: 20_000,
    });
    apps.push(app);
    try {
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, n) => firstValueFrom(client.send('sum', [n, 1]))),
      );
      expect(replies).toEqual(Array.from({ length: 200 }, (_, n) => n + 1));
      const [requests, answers] = await Promise.all([readStream(admin, act), readStream(admin, res)]);
      const count = (shards: typeof requests) => shards.reduce((sum, s) => sum + s.records.length, 0);
      expect(count(requests)).toBeLessThan(100);
      expect(count(answers)).toBeLessThan(200);
      expect(requests.flatMap((s) => s.records).some((r) => isAggregated(r.data))).toBe(true);
    } finally {
      await aggregating.close();
    }
  });

  it('partitions requests with a function when asked', async () => {
    const { app, client } = await startClient({
      ...base(),
      partitionBy: ({ pattern }) => `tenant-7:${pattern}`,
    });
    apps.push(app);
    expect((await firstValueFrom(client.send('ctx', {}))).partitionKey).toBe('tenant-7:ctx');
  });
});
