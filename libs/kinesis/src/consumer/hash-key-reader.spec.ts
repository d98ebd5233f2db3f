/**
 * The hash-key readers on their own (the transport client and the Seneca plugin use them for reply shards:
 * test/transport/reply-routing.spec.ts and fan-out.spec.ts cover them through the client).
 */
import { PutRecordCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { silentLogger } from '../logger.js';
import { ensureStream } from '../stream-admin.js';
import type { KinesisRecord } from '../types.js';
import { FanOutHashKeyReader } from './fan-out-hash-key-reader.js';
import type { HashKeyReader, HashKeyReaderOptions } from './hash-key-reader.js';
import { PollingHashKeyReader } from './polling-hash-key-reader.js';
import { coversHashKey, listShards } from './shard-lister.js';
import { injectFaults, serviceError } from '../../../../test/support/faults.js';
import { eventually, kinesisClient, uniqueName } from '../../../../test/support/harness.js';

/** What a reader was given: the records' data, and errors. */
function recording() {
  const datas: string[] = [];
  const errors: unknown[] = [];
  const callbacks: Pick<HashKeyReaderOptions, 'onRecords' | 'onThrottled' | 'onError' | 'logger'> = {
    logger: silentLogger,
    onRecords: (records: KinesisRecord[]) => {
      for (const r of records) datas.push(r.data.toString());
      if (records.some((r) => r.data.toString() === 'poison')) throw new Error('a handler threw');
    },
    onThrottled: () => undefined,
    onError: (error) => errors.push(error),
  };
  return { datas, errors, callbacks };
}

/** Puts `data` on the shard covering `hashKey` (an explicit hash key routes it). */
const put = (client: KinesisClient, streamName: string, hashKey: bigint, data: string) =>
  client.send(
    new PutRecordCommand({
      StreamName: streamName,
      PartitionKey: 'p',
      ExplicitHashKey: hashKey.toString(),
      Data: Buffer.from(data),
    }),
  );

describe('PollingHashKeyReader on kinesalite', () => {
  let client: KinesisClient;
  const readers: HashKeyReader[] = [];
  beforeEach(() => {
    client = kinesisClient('kinesalite');
  });
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.stop()));
    client.destroy();
  });

  /** A started polling reader of `hashKey` (20 ms polls), with what it was given. */
  async function polling(streamName: string, hashKey: bigint, idle?: () => boolean) {
    const recorded = recording();
    const reader = new PollingHashKeyReader({
      client,
      streamName,
      hashKey,
      pollIntervalMs: 20,
      idle,
      ...recorded.callbacks,
    });
    readers.push(reader);
    await reader.start();
    return { reader, ...recorded };
  }

  async function twoShards() {
    const streamName = uniqueName('hashkey');
    await ensureStream(client, streamName, { shardCount: 2 });
    const [low, high] = await listShards(client, streamName);
    return {
      streamName,
      low,
      high,
      lowKey: BigInt(low.startingHashKey!) + 7n,
      highKey: BigInt(high.endingHashKey!),
    };
  }

  it('reads from LATEST only the shard covering its key, and goes on after onRecords threw', async () => {
    const { streamName, low, lowKey, highKey } = await twoShards();
    await put(client, streamName, lowKey, 'before start');
    const { reader, datas, errors } = await polling(streamName, lowKey);
    expect(reader.currentShardId).toBe(low.shardId);
    await put(client, streamName, highKey, 'other shard');
    await put(client, streamName, lowKey, 'poison');
    await eventually(() => datas.includes('poison'));
    await put(client, streamName, lowKey, 'after the throw');
    await eventually(() => datas.includes('after the throw'));
    expect(datas).toEqual(['poison', 'after the throw']);
    expect(errors.map((e) => (e as Error).message)).toContain('a handler threw');
  });

  it('does not poll while idle, and reads what arrived meanwhile once woken', async () => {
    const { streamName, lowKey } = await twoShards();
    const reading = injectFaults(client, {});
    let idle = true;
    const { reader, datas } = await polling(streamName, lowKey, () => idle);
    await put(client, streamName, lowKey, 'while idle');
    await new Promise((r) => setTimeout(r, 300)); // 15 poll intervals
    expect(reading.calls.get('GetRecords') ?? 0).toBe(0);
    idle = false;
    reader.wake();
    await eventually(() => datas.includes('while idle'));
  });

  it('renews an expired iterator from just before its last read began, never at LATEST', async () => {
    const { streamName, lowKey } = await twoShards();
    const positions: string[] = [];
    let expire = true;
    injectFaults(client, {
      GetShardIterator: async ({ input, send }) => {
        positions.push(input.ShardIteratorType);
        return send();
      },
      GetRecords: async ({ send }) => {
        if (!expire) return send();
        expire = false;
        throw serviceError('ExpiredIteratorException');
      },
    });
    const { datas } = await polling(streamName, lowKey);
    await put(client, streamName, lowKey, 'after start');
    await eventually(() => datas.includes('after start'));
    expect(positions).toEqual(['LATEST', 'AT_TIMESTAMP']);
  });

  it('renews an expired iterator after the last record delivered (none twice), and reports throttling as such', async () => {
    const { streamName, lowKey } = await twoShards();
    const positions: string[] = [];
    let fault: string | undefined;
    injectFaults(client, {
      GetShardIterator: async ({ input, send }) => {
        positions.push(input.ShardIteratorType);
        return send();
      },
      GetRecords: async ({ send }) => {
        const name = fault;
        fault = undefined;
        if (name) throw serviceError(name);
        return send();
      },
    });
    let throttled = 0;
    const recorded = recording();
    const reader = new PollingHashKeyReader({
      client,
      streamName,
      hashKey: lowKey,
      pollIntervalMs: 20,
      ...recorded.callbacks,
      onThrottled: () => throttled++,
    });
    readers.push(reader);
    await reader.start();
    await put(client, streamName, lowKey, 'first');
    await eventually(() => recorded.datas.includes('first'));
    fault = 'ProvisionedThroughputExceededException';
    await eventually(() => throttled === 1);
    fault = 'ExpiredIteratorException';
    await eventually(() => fault === undefined);
    await put(client, streamName, lowKey, 'second');
    await eventually(() => recorded.datas.includes('second'));
    // AT the last delivered record, that record skipped: as AFTER_SEQUENCE_NUMBER, inside aggregates too.
    expect(positions).toEqual(['LATEST', 'AT_SEQUENCE_NUMBER']);
    expect(recorded.datas).toEqual(['first', 'second']);
    expect(recorded.errors).toEqual([]);
  });

  it('follows the child covering its key after a split', async () => {
    const streamName = uniqueName('hashkey-split');
    await ensureStream(client, streamName, { shardCount: 1 });
    const [parent] = await listShards(client, streamName);
    const hashKey = BigInt(parent.endingHashKey!) - 5n;
    const { reader, datas } = await polling(streamName, hashKey);
    await put(client, streamName, hashKey, 'on the parent');
    await eventually(() => datas.includes('on the parent'));
    const middle = (BigInt(parent.startingHashKey!) + BigInt(parent.endingHashKey!)) / 2n;
    await client.send(
      new SplitShardCommand({
        StreamName: streamName,
        ShardToSplit: parent.shardId,
        NewStartingHashKey: middle.toString(),
      }),
    );
    await ensureStream(client, streamName);
    const child = (await listShards(client, streamName)).find(
      (s) => s.parentShardIds.includes(parent.shardId) && coversHashKey(s, hashKey),
    )!;
    await put(client, streamName, hashKey, 'on the child');
    await eventually(() => datas.includes('on the child'), { timeoutMs: 15_000 });
    expect(reader.currentShardId).toBe(child.shardId);
    expect(datas).toEqual(['on the parent', 'on the child']);
  }, 30_000);
});

describe('FanOutHashKeyReader on kinesis-local', () => {
  it('registers its consumer and reads what is written after start() on the shard covering its key', async () => {
    const client = kinesisClient('kinesis-local');
    const streamName = uniqueName('hashkey-fanout');
    await ensureStream(client, streamName, { shardCount: 2 });
    const [, high] = await listShards(client, streamName);
    const hashKey = BigInt(high.startingHashKey!);
    const { datas, callbacks } = recording();
    const reader = new FanOutHashKeyReader({
      client,
      streamName,
      hashKey,
      consumerName: 'replies',
      ...callbacks,
    });
    try {
      await reader.start();
      expect(reader.currentShardId).toBe(high.shardId);
      await put(client, streamName, hashKey, 'pushed');
      await put(client, streamName, hashKey - 1n, 'other shard');
      await eventually(() => datas.includes('pushed'), { timeoutMs: 15_000 });
      expect(datas).toEqual(['pushed']);
    } finally {
      await reader.stop();
      client.destroy();
    }
  }, 30_000);
});
