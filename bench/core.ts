/**
 * Issue 2's benchmark, against kinesalite in one run:
 * producer user-records/s with (a) one PutRecord per record, (b) batched PutRecords, (c) batched with
 * aggregation; consumer records/s through the Consumer (no-op processor) next to a raw GetRecords drain.
 */
import { randomBytes } from 'node:crypto';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { Consumer, ensureStream, listShards, Producer, silentLogger } from '../libs/kinesis/src/index.js';
import { formatNumber, printTable, type Row } from './table.js';

const RECORD_BYTES = 200;
// Payloads are made before the clock starts: 200 ASCII bytes each, a pool reused round-robin.
const PAYLOADS = Array.from({ length: 10_000 }, () =>
  Buffer.from(randomBytes(RECORD_BYTES / 2).toString('hex')),
);
const payload = (i: number) => PAYLOADS[i % PAYLOADS.length];
/**
 * 1 MiB calls rather than the 5 MiB maximum, for both producer runs: kinesalite re-concatenates a request
 * body on every chunk (quadratic in its size), which is the emulator's cost, not the client's. Measured:
 * aggregated 35,000 rec/s with 5 MiB calls, 45,000 with 1 MiB. Batches of run (b) are ~100 KB anyway.
 */
const MAX_BATCH_BYTES = 1024 * 1024;

export async function timed(
  fn: () => Promise<number>,
): Promise<{ count: number; seconds: number; perSecond: number }> {
  const started = process.hrtime.bigint();
  const count = await fn();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { count, seconds, perSecond: count / seconds };
}

async function putOneByOne(client: KinesisClient, streamName: string, n: number): Promise<number> {
  for (let i = 0; i < n; i++) {
    await client.send(
      new PutRecordCommand({ StreamName: streamName, Data: payload(i), PartitionKey: `k${i}` }),
    );
  }
  return n;
}

async function putWithProducer(client: KinesisClient, streamName: string, n: number, aggregation: boolean) {
  const producer = new Producer({
    client,
    streamName,
    aggregation,
    maxBatchBytes: MAX_BATCH_BYTES,
    logger: silentLogger,
  });
  const puts: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) puts.push(producer.put({ data: payload(i), partitionKey: `k${i}` }));
  await Promise.all(puts);
  await producer.close();
  return n;
}

export async function rawDrain(client: KinesisClient, streamName: string, expected: number): Promise<number> {
  const shards = await listShards(client, streamName);
  let total = 0;
  await Promise.all(
    shards.map(async ({ shardId }) => {
      let { ShardIterator: iterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      while (iterator && total < expected) {
        const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        total += out.Records?.length ?? 0;
        if (!out.Records?.length) break;
        iterator = out.NextShardIterator;
      }
    }),
  );
  return total;
}

async function consumerDrain(client: KinesisClient, streamName: string, expected: number): Promise<number> {
  let total = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = new Consumer({
    client,
    streamName,
    logger: silentLogger,
    processorFactory: () => ({
      initialize: () => undefined,
      processRecords: ({ records }) => {
        total += records.length;
        if (total >= expected) done();
      },
      leaseLost: () => undefined,
      shardEnded: ({ checkpointer }) => checkpointer.checkpoint(),
      shutdownRequested: () => undefined,
    }),
  });
  await consumer.start();
  await finished;
  await consumer.stop();
  return total;
}

export async function benchCore(client: KinesisClient): Promise<void> {
  const stream = async (name: string) => {
    await ensureStream(client, name, { shardCount: 4 });
    return name;
  };
  const a = await timed(() => stream('bench-a').then((s) => putOneByOne(client, s, 1_000)));
  const b = await timed(() => stream('bench-b').then((s) => putWithProducer(client, s, 40_000, false)));
  const c = await timed(() => stream('bench-c').then((s) => putWithProducer(client, s, 400_000, true)));
  const producerRows: Row[] = [
    {
      mode: '(a) one PutRecord per record, sequential',
      records: a.count,
      'user records/s': formatNumber(a.perSecond),
      ratio: '',
    },
    {
      mode: '(b) Producer, batched PutRecords',
      records: b.count,
      'user records/s': formatNumber(b.perSecond),
      ratio: `b/a = ${formatNumber(b.perSecond / a.perSecond, 1)}`,
    },
    {
      mode: '(c) Producer, batched + KPL aggregation',
      records: c.count,
      'user records/s': formatNumber(c.perSecond),
      ratio: `c/b = ${formatNumber(c.perSecond / b.perSecond, 1)}`,
    },
  ];
  printTable('Producer, kinesalite, 4 shards, 200-byte records', producerRows);

  // The consumer drains stream b (plain records): raw loop and Consumer alternate, best of two each.
  const expected = b.count;
  const raw = [await timed(() => rawDrain(client, 'bench-b', expected))];
  const ours = [await timed(() => consumerDrain(client, 'bench-b', expected))];
  raw.push(await timed(() => rawDrain(client, 'bench-b', expected)));
  ours.push(await timed(() => consumerDrain(client, 'bench-b', expected)));
  const best = (runs: typeof raw) => runs.reduce((x, y) => (y.perSecond > x.perSecond ? y : x));
  const [r, o] = [best(raw), best(ours)];
  printTable('Consumer, kinesalite, 4 shards, 200-byte records (best of 2)', [
    {
      reader: 'raw GetRecords drain loop',
      records: r.count,
      'records/s': formatNumber(r.perSecond),
      ratio: '',
    },
    {
      reader: 'Consumer, no-op processor',
      records: o.count,
      'records/s': formatNumber(o.perSecond),
      ratio: `consumer/raw = ${formatNumber(o.perSecond / r.perSecond, 2)}`,
    },
  ]);
}
