import { DescribeStreamSummaryCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { injectFaults } from '../../../../test/support/faults.js';
import {
  eventually,
  KINESIS_EMULATORS,
  kinesisClient,
  uniqueName,
} from '../../../../test/support/harness.js';
import {
  deaggregate,
  isAggregated,
  parseExplicitHashKey,
  partitionKeyToHashKey,
} from '../aggregation/index.js';
import { PutRecordError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { ensureStream } from '../stream-admin.js';
import type { PutResult } from './entry.js';
import { Producer } from './producer.js';
import { partiallyFail, readStream } from '../../../../test/support/stream-reader.js';

interface ReadUserRecord {
  data: string;
  partitionKey: string;
  explicitHashKey?: string;
  shardId: string;
  inShardRange: boolean;
  sequenceNumber: string;
  /** Index inside its aggregate; undefined for a plain Kinesis record. */
  subSequenceNumber?: number;
}

/** Every user record of the stream (aggregates unpacked), keyed by data, plus the Kinesis-level count. */
async function readUserRecords(client: KinesisClient, streamName: string, prefix: string) {
  const users = new Map<string, ReadUserRecord>();
  let kinesisRecords = 0;
  let duplicates = 0;
  for (const shard of await readStream(client, streamName)) {
    for (const record of shard.records) {
      const unpacked = isAggregated(record.data) ? deaggregate(record.data) : undefined;
      const items = unpacked ?? [{ data: record.data, partitionKey: record.partitionKey }];
      if (!items.some((u) => u.data.toString().startsWith(`${prefix}:`))) continue;
      kinesisRecords++;
      items.forEach((user, index) => {
        const explicitHashKey = 'explicitHashKey' in user ? user.explicitHashKey : undefined;
        const hashKey = explicitHashKey
          ? parseExplicitHashKey(explicitHashKey)!
          : partitionKeyToHashKey(user.partitionKey);
        const data = user.data.toString();
        if (users.has(data)) duplicates++;
        users.set(data, {
          data,
          partitionKey: user.partitionKey,
          explicitHashKey,
          shardId: shard.shardId,
          inShardRange: hashKey >= shard.startingHashKey && hashKey <= shard.endingHashKey,
          sequenceNumber: record.sequenceNumber,
          subSequenceNumber: unpacked ? index : undefined,
        });
      });
    }
  }
  return { users, kinesisRecords, duplicates };
}

describe.each(KINESIS_EMULATORS)('Producer aggregation on %s', (emulator) => {
  let client: KinesisClient;
  const userCount = emulator === 'kinesalite' ? 5_000 : 2_000;

  beforeAll(() => (client = kinesisClient(emulator)));
  afterAll(() => client.destroy());

  it(`packs ${userCount} user records per shard into KPL aggregates that deaggregate to them all`, async () => {
    const streamName = uniqueName('producer-agg');
    await ensureStream(client, streamName, { shardCount: 4 });
    const p = new Producer({ client, streamName, aggregation: true, logger: silentLogger });
    const prefix = uniqueName('agg');
    const expected = Array.from({ length: userCount }, (_, i) => ({
      data: `${prefix}:${i}:${'x'.repeat(i % 40)}`,
      partitionKey: `key-${i % 53}`,
      // Every 10th record placed by an explicit hash key instead of its partition key.
      explicitHashKey: i % 10 === 0 ? ((2n ** 128n - 1n) * BigInt(i)) / BigInt(userCount) + '' : undefined,
    }));
    const results = await Promise.all(expected.map((r) => p.put(r)));
    await p.close();

    const { users, kinesisRecords, duplicates } = await readUserRecords(client, streamName, prefix);
    expect(duplicates).toBe(0);
    expect(users.size).toBe(userCount);
    expect(kinesisRecords).toBeLessThan(userCount / 20);
    expected.forEach((record, i) => {
      const read = users.get(record.data)!;
      expect(read).toBeDefined();
      expect(read.partitionKey).toBe(record.partitionKey);
      expect(read.explicitHashKey).toBe(record.explicitHashKey);
      expect(read.inShardRange).toBe(true);
      // The put resolved with where the record really is.
      expect(results[i]).toEqual<PutResult>({
        shardId: read.shardId,
        sequenceNumber: read.sequenceNumber,
        ...(read.subSequenceNumber === undefined ? {} : { subSequenceNumber: read.subSequenceNumber }),
      });
    });
    expect(results.filter((r) => r.subSequenceNumber !== undefined).length).toBeGreaterThan(userCount * 0.95);
  });

  it('sends a record too big to share an aggregate, and an aggregate of one, as plain records', async () => {
    const streamName = uniqueName('producer-agg-big');
    await ensureStream(client, streamName, { shardCount: 1 });
    const p = new Producer({ client, streamName, aggregation: { maxBytes: 10_000 }, logger: silentLogger });
    const prefix = uniqueName('big');
    const small = (i: number) => p.put({ data: `${prefix}:small-${i}`, partitionKey: 'k' });
    const big = `${prefix}:big-${'b'.repeat(20_000)}`;
    const results = await Promise.all([
      small(0),
      small(1),
      p.put({ data: big, partitionKey: 'k' }),
      small(2),
      small(3),
    ]);
    expect(results.map((r) => r.subSequenceNumber)).toEqual([0, 1, undefined, 0, 1]);
    const lone = await p.put({ data: `${prefix}:lone`, partitionKey: 'k' });
    expect(lone.subSequenceNumber).toBeUndefined();
    await p.close();

    const { users, kinesisRecords } = await readUserRecords(client, streamName, prefix);
    expect(kinesisRecords).toBe(4); // [0,1], big, [2,3], lone
    expect(users.get(big)!.subSequenceNumber).toBeUndefined();
    expect(users.get(`${prefix}:lone`)!.subSequenceNumber).toBeUndefined();
    expect(users.get(`${prefix}:small-3`)!.subSequenceNumber).toBe(1);
    // In put order within the shard: the big one went after what was packed before it.
    const order = [...users.values()].map((u) => u.data.replace(`${prefix}:`, '').slice(0, 7));
    expect(order).toEqual(['small-0', 'small-1', 'big-bbb', 'small-2', 'small-3', 'lone']);
  });

  it('keeps per-key order with preserveOrder under partial failures (one aggregate per shard in flight)', async () => {
    const streamName = uniqueName('producer-agg-order');
    await ensureStream(client, streamName, { shardCount: 2 });
    let calls = 0;
    const faults = injectFaults(client, {
      // Every other entry of the first 10 calls fails.
      PutRecords: async ({ input, send }) =>
        ++calls > 10
          ? send()
          : partiallyFail(
              input,
              send,
              new Map(
                input.Records.map((_: unknown, i: number) => [i, 'InternalFailure'] as const).filter(
                  (_: unknown, i: number) => i % 2 === 0,
                ),
              ),
            ),
    });
    const prefix = uniqueName('agg-order');
    const keys = Array.from({ length: 6 }, (_, k) => `${prefix}-key${k}`);
    try {
      const p = new Producer({
        client,
        streamName,
        aggregation: { maxBytes: 1_000 }, // many aggregates per shard
        preserveOrder: true,
        backoff: { baseMs: 5, maxMs: 20 },
        logger: silentLogger,
      });
      const puts: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++)
        for (const key of keys) puts.push(p.put({ data: `${prefix}:${key}:${i}`, partitionKey: key }));
      await Promise.all(puts);
    } finally {
      faults.remove();
    }
    const { users } = await readUserRecords(client, streamName, prefix);
    const byKey = new Map<string, number[]>(keys.map((k) => [k, []]));
    // Map iteration follows read order: shard by shard, then inside aggregates.
    for (const u of users.values()) byKey.get(u.partitionKey)!.push(Number(u.data.split(':')[2]));
    for (const seq of byKey.values()) expect(seq).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(calls).toBeGreaterThan(10);
  });

  it('without a shard map (missing stream) falls back to plain puts, which reject with ResourceNotFound', async () => {
    const p = new Producer({
      client,
      streamName: uniqueName('missing'),
      aggregation: true,
      logger: silentLogger,
    });
    const outcomes = await Promise.allSettled([1, 2].map((i) => p.put({ data: `r${i}`, partitionKey: 'k' })));
    for (const o of outcomes) {
      const error = (o as PromiseRejectedResult).reason as PutRecordError;
      expect(error).toBeInstanceOf(PutRecordError);
      expect(error.errorCode).toBe('ResourceNotFoundException');
    }
  });

  it('reloads its shard map when records land on another shard than predicted (a reshard)', async () => {
    const streamName = uniqueName('producer-agg-reshard');
    await ensureStream(client, streamName, { shardCount: 1 });
    let listed = 0; // ListShards calls answered
    const faults = injectFaults(client, {
      ListShards: async ({ send }) => {
        const out = await send();
        listed++;
        return out;
      },
    });
    const p = new Producer({ client, streamName, aggregation: true, logger: silentLogger });
    const prefix = uniqueName('reshard');
    const putMany = (round: string) =>
      Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          p.put({ data: `${prefix}:${round}-${i}`, partitionKey: `k${i}` }),
        ),
      );
    try {
      await putMany('before');
      expect(listed).toBe(1);

      await client.send(
        new SplitShardCommand({
          StreamName: streamName,
          ShardToSplit: 'shardId-000000000000',
          NewStartingHashKey: (2n ** 127n).toString(),
        }),
      );
      await eventually(
        async () => {
          const { StreamDescriptionSummary: s } = await client.send(
            new DescribeStreamSummaryCommand({ StreamName: streamName }),
          );
          return s?.StreamStatus === 'ACTIVE' && s.OpenShardCount === 2;
        },
        { message: 'the split to finish' },
      );

      // Packed for the closed parent: lands on a child, which tells the producer to reload.
      await putMany('during');
      // (The reload is in place once ListShards answered: the rest runs in the same tick.)
      await eventually(() => listed >= 2, { message: 'a shard map reload' });
      const after = await putMany('after');
      await p.close();

      const { users } = await readUserRecords(client, streamName, prefix);
      const afterUsers = [...users.values()].filter((u) => u.data.startsWith(`${prefix}:after-`));
      expect(afterUsers).toHaveLength(100);
      expect(afterUsers.every((u) => u.inShardRange && u.shardId !== 'shardId-000000000000')).toBe(true);
      expect(new Set(after.map((r) => r.shardId)).size).toBe(2);
      expect(after.filter((r) => r.subSequenceNumber !== undefined).length).toBeGreaterThan(90);
    } finally {
      faults.remove();
    }
  });
});
