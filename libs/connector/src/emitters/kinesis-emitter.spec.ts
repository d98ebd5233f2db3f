import { DeleteStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ensureStream,
  Producer,
  ProducerClosedError,
  silentLogger,
  type ProducerOptions,
} from '../../../kinesis/src/index.js';
import { bufferedItem, emitBatch } from '../../../../test/support/emit-batches.js';
import { injectFaults } from '../../../../test/support/faults.js';
import { KINESIS_EMULATORS, kinesisClient, uniqueName } from '../../../../test/support/harness.js';
import { partiallyFail, readAll, readStream } from '../../../../test/support/stream-reader.js';
import type { BufferedItem, EmitBatch } from '../interfaces.js';
import { KinesisEmitter } from './kinesis-emitter.js';

type Model = { id: string; user: string; blob?: string };

const item = (model: Model, n: number): BufferedItem<Model> =>
  bufferedItem(model, { sequenceNumber: String(5000 + n), partitionKey: `source-${model.user}` });
/** toBytes writes something other than the source data, to show it is what gets forwarded. */
const batch = (items: BufferedItem<Model>[]): EmitBatch<Model> =>
  emitBatch(items, {
    streamName: 'source',
    toBytes: (model) => Buffer.from(`out:${model.id}:${model.blob ?? ''}`),
  });

const models = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => item({ id: `${prefix}${i}`, user: `u${i % 4}` }, i));

describe.each(KINESIS_EMULATORS)('KinesisEmitter on %s', (emulator) => {
  let client: KinesisClient;
  const streams: string[] = [];
  const producers: Producer[] = [];

  beforeAll(() => {
    client = kinesisClient(emulator);
  });
  afterAll(async () => {
    for (const p of producers) await p.close();
    for (const StreamName of streams)
      await client.send(new DeleteStreamCommand({ StreamName })).catch(() => {});
    client.destroy();
  });

  async function newStream(): Promise<string> {
    const name = uniqueName('emit-target');
    streams.push(name);
    await ensureStream(client, name, { shardCount: 2 });
    return name;
  }

  function producer(streamName: string, options: Partial<ProducerOptions> = {}): Producer {
    const p = new Producer({
      client,
      streamName,
      lingerMs: 5,
      logger: silentLogger,
      backoff: { baseMs: 5, maxMs: 20 },
      retryTimeoutMs: 2_000,
      ...options,
    });
    producers.push(p);
    return p;
  }

  it("puts toBytes(model) under the source record's partition key by default", async () => {
    const stream = await newStream();
    const emitter = new KinesisEmitter<Model>({ producer: producer(stream) });
    const items = models('a', 12);
    await expect(emitter.emit(batch(items))).resolves.toEqual([]);
    const stored = await readAll(client, stream);
    expect(stored.map((r) => [r.data.toString(), r.partitionKey]).sort()).toEqual(
      items.map((i) => [`out:${i.model.id}:`, `source-${i.model.user}`]).sort(),
    );
  });

  it('uses the partitionKey and explicitHashKey functions given', async () => {
    const stream = await newStream();
    const emitter = new KinesisEmitter<Model>({
      producer: producer(stream),
      partitionKey: ({ model }) => `user:${model.user}`,
      explicitHashKey: ({ model }) => (model.user === 'u0' ? '0' : undefined),
    });
    const items = models('k', 8);
    await expect(emitter.emit(batch(items))).resolves.toEqual([]);
    const shards = await readStream(client, stream);
    const keys = shards.flatMap((s) => s.records.map((r) => r.partitionKey)).sort();
    expect(keys).toEqual(items.map((i) => `user:${i.model.user}`).sort());
    // Hash key 0 belongs to the first shard, whatever the partition key hashes to.
    const first = shards.find((s) => s.startingHashKey === 0n)!;
    const u0 = items.filter((i) => i.model.user === 'u0').map((i) => `out:${i.model.id}:`);
    expect(first.records.map((r) => r.data.toString())).toEqual(expect.arrayContaining(u0));
  });

  it('returns an oversize model as a failed item and delivers the others', async () => {
    const stream = await newStream();
    const emitter = new KinesisEmitter<Model>({ producer: producer(stream) });
    const items = models('o', 6);
    items[2] = item({ id: 'o-big', user: 'u2', blob: 'x'.repeat(1_048_576) }, 2);
    const failed = await emitter.emit(batch(items));
    expect(failed).toHaveLength(1);
    expect(failed[0].item).toBe(items[2]);
    expect(failed[0].error).toMatch(/exceeds the Kinesis limit of 1048576 bytes/);
    const stored = (await readAll(client, stream)).map((r) => r.data.toString()).sort();
    expect(stored).toEqual(
      items
        .filter((_, i) => i !== 2)
        .map((i) => `out:${i.model.id}:`)
        .sort(),
    );
  });

  it.each(['ProvisionedThroughputExceededException', 'KMSThrottlingException', 'InternalFailure'])(
    'throws (destination) when one entry stays refused with %s, and stores the batch once it stops',
    async (code) => {
      const stream = await newStream();
      const emitter = new KinesisEmitter<Model>({ producer: producer(stream, { retryTimeoutMs: 0 }) });
      let throttled = true;
      const faults = injectFaults(client, {
        PutRecords: async ({ input, send }) => {
          const failing = new Map<number, string>();
          input.Records.forEach((r: { Data: Uint8Array }, i: number) => {
            if (throttled && Buffer.from(r.Data).toString().startsWith('out:f1:')) failing.set(i, code);
          });
          return partiallyFail(input, send, failing);
        },
      });
      const items = models('f', 4);
      try {
        // Not a failed item: the pipeline would dead-letter it and checkpoint past it.
        await expect(emitter.emit(batch(items))).rejects.toMatchObject({
          name: 'PutRecordError',
          errorCode: code,
        });
        throttled = false; // the outage ends: the batch retried whole goes through
        await expect(emitter.emit(batch(items))).resolves.toEqual([]);
      } finally {
        faults.remove();
      }
      const stored = new Set((await readAll(client, stream)).map((r) => r.data.toString()));
      expect([...stored].sort()).toEqual(['out:f0:', 'out:f1:', 'out:f2:', 'out:f3:']);
    },
  );

  it('returns an entry Kinesis refuses for its content as failed, alone or not', async () => {
    const stream = await newStream();
    const emitter = new KinesisEmitter<Model>({ producer: producer(stream, { retryTimeoutMs: 0 }) });
    const faults = injectFaults(client, {
      PutRecords: async ({ input, send }) => {
        const failing = new Map<number, string>();
        input.Records.forEach((r: { Data: Uint8Array }, i: number) => {
          if (Buffer.from(r.Data).toString().startsWith('out:f1:'))
            failing.set(i, 'InvalidArgumentException');
        });
        return partiallyFail(input, send, failing);
      },
    });
    const items = models('f', 4);
    try {
      const failed = await emitter.emit(batch(items));
      expect(failed).toEqual([{ item: items[1], error: expect.stringMatching(/InvalidArgumentException/) }]);
      // The pipeline emits failed items again on their own: still the record's, not an outage.
      await expect(emitter.emit(batch([items[1]]))).resolves.toMatchObject([{ item: items[1] }]);
    } finally {
      faults.remove();
    }
    const stored = (await readAll(client, stream)).map((r) => r.data.toString()).sort();
    expect(stored).toEqual(['out:f0:', 'out:f2:', 'out:f3:']);
  });

  it('throws (destination unavailable) when the target stream does not exist', async () => {
    const emitter = new KinesisEmitter<Model>({ producer: producer(uniqueName('missing')) });
    await expect(emitter.emit(batch(models('m', 3)))).rejects.toMatchObject({
      name: 'PutRecordError',
      errorCode: 'ResourceNotFoundException',
    });
  });

  it('shutdown() flushes and closes the producer', async () => {
    const stream = await newStream();
    const p = producer(stream, { lingerMs: 10_000 });
    const emitter = new KinesisEmitter<Model>({ producer: p });
    const pending = p.put({ data: 'lingering', partitionKey: 'k' });
    await emitter.shutdown();
    await expect(pending).resolves.toMatchObject({ sequenceNumber: expect.any(String) });
    await expect(p.put({ data: 'late', partitionKey: 'k' })).rejects.toBeInstanceOf(ProducerClosedError);
    expect((await readAll(client, stream)).map((r) => r.data.toString())).toEqual(['lingering']);
  });
});
