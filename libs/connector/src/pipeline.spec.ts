import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream, MemoryCheckpointStore, silentLogger } from '../../kinesis/src/index.js';
import { eventually, KINESIS_EMULATORS, kinesisClient, uniqueName } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { Connector } from './connector.js';
import { FileDeadLetterSink } from './dead-letter/file-sink.js';
import type { DeadLetterEntry, EmitBatch, Emitter, FailedItem } from './interfaces.js';
import { PipelineCounters } from './pipeline-observer.js';
import { JsonTransformer } from './transformers.js';

type Model = { n: number; bad?: boolean };

/** Records batches in memory; `fail` decides per item, `down` makes the destination unavailable. */
class RecordingEmitter implements Emitter<Model> {
  readonly batches: EmitBatch<Model>[] = [];
  readonly stored: Model[] = [];
  down = false;
  fail: (m: Model) => boolean = () => false;
  calls = 0;
  async emit(batch: EmitBatch<Model>): Promise<FailedItem<Model>[]> {
    this.calls++;
    if (this.down) throw new Error('destination unavailable');
    this.batches.push(batch);
    const failed = batch.items
      .filter((i) => this.fail(i.model))
      .map((item) => ({ item, error: `cannot store ${item.model.n}` }));
    for (const i of batch.items) if (!this.fail(i.model)) this.stored.push(i.model);
    return failed;
  }
  async shutdown(): Promise<void> {}
}

const readDead = (path: string): DeadLetterEntry[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

describe.each(KINESIS_EMULATORS)('connector pipeline on %s', (emulator) => {
  let client: KinesisClient;
  const connectors: Connector<Model>[] = [];
  beforeAll(() => (client = kinesisClient(emulator)));
  afterEach(async () => {
    await Promise.all(connectors.splice(0).map((c) => c.stop()));
  });
  afterAll(() => client.destroy());

  async function setup(
    options: { shards?: number; maxRecords?: number; maxAgeMs?: number; maxBytes?: number } = {},
  ) {
    const streamName = uniqueName('pipeline');
    await ensureStream(client, streamName, { shardCount: options.shards ?? 2 });
    const emitter = new RecordingEmitter();
    const store = new MemoryCheckpointStore();
    const deadPath = join(mkdtempSync(join(tmpdir(), 'dlq-')), 'dead.jsonl');
    const counters = new PipelineCounters();
    const connector = new Connector<Model>({
      client,
      streamName,
      checkpointStore: store,
      transformer: new JsonTransformer<Model>(),
      emitter,
      deadLetter: new FileDeadLetterSink(deadPath),
      bufferLimits: {
        maxRecords: options.maxRecords ?? 50,
        maxAgeMs: options.maxAgeMs ?? 200,
        maxBytes: options.maxBytes,
      },
      observer: counters,
      logger: process.env.DEBUG_PIPELINE
        ? { ...silentLogger, warn: console.warn, error: console.error }
        : silentLogger,
      consumer: { pollIntervalMs: 20 },
      pipeline: { backoff: { baseMs: 10, maxMs: 50 }, ageCheckIntervalMs: 25 },
    });
    connectors.push(connector);
    await connector.start();
    return { streamName, emitter, store, deadPath, counters, connector };
  }
  const valid = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      data: JSON.stringify({ n: from + i }),
      key: `k${(from + i) % 5}`,
    }));

  it('emits every record once in batches bounded by count, then checkpoints the last sequence', async () => {
    const { streamName, emitter, store, counters } = await setup({ maxRecords: 40 });
    await putRaw(client, streamName, valid(0, 300));
    await eventually(() => emitter.stored.length >= 300, { message: '300 emitted' });
    expect(new Set(emitter.stored.map((m) => m.n)).size).toBe(300);
    expect(Math.max(...emitter.batches.map((b) => b.items.length))).toBeLessThanOrEqual(40);
    await eventually(async () => {
      for (const [shardId, seq] of counters.lastCheckpoint) {
        if ((await store.get(streamName, shardId))?.sequenceNumber !== seq) return false;
      }
      return counters.lastCheckpoint.size === 2;
    });
    for (const batch of emitter.batches)
      expect(batch.lastSequenceNumber).toBe(batch.items.at(-1)!.record.sequenceNumber);
  });

  it('flushes by bytes', async () => {
    const { streamName, emitter } = await setup({
      maxRecords: 10_000,
      maxAgeMs: 60_000,
      maxBytes: 200,
      shards: 1,
    });
    await putRaw(client, streamName, valid(100, 100)); // {"n":1xx}: 9 bytes each, 900 in all
    await eventually(() => emitter.batches.length >= 4, { message: 'byte-limited batches' });
    for (const batch of emitter.batches) {
      const bytes = batch.items.reduce((s, i) => s + i.bytes, 0);
      expect(bytes).toBeGreaterThanOrEqual(200); // flushed because of the bytes (count and age are far)
      expect(bytes - batch.items.at(-1)!.bytes).toBeLessThan(200); // at the first record that crossed it
    }
  });

  it('flushes by age with no new record arriving', async () => {
    const { streamName, emitter } = await setup({ maxRecords: 10_000, maxAgeMs: 300, shards: 1 });
    await putRaw(client, streamName, valid(0, 3));
    await eventually(() => emitter.stored.length === 3, { timeoutMs: 5_000, message: 'the age flush' });
    expect(emitter.batches).toHaveLength(1);
  });

  it('dead-letters 1,000 malformed records with their reason and emits every valid one', async () => {
    const { streamName, emitter, deadPath, store } = await setup({ maxRecords: 200 });
    const mixed = [
      ...valid(0, 500),
      ...Array.from({ length: 1_000 }, (_, i) => ({ data: `{bad json ${i}`, key: `b${i % 7}` })),
    ];
    mixed.sort(() => Math.random() - 0.5);
    await putRaw(client, streamName, mixed);
    await eventually(() => emitter.stored.length >= 500 && readDead(deadPath).length >= 1_000, {
      timeoutMs: 30_000,
      message: 'all valid emitted and all malformed dead-lettered',
    });
    const dead = readDead(deadPath);
    expect(dead).toHaveLength(1_000);
    expect(
      dead.every((d) => d.stage === 'transform' && /not JSON/.test(d.error) && d.shardId && d.sequenceNumber),
    ).toBe(true);
    expect(new Set(dead.map((d) => Buffer.from(d.data, 'base64').toString()))).toEqual(
      new Set(mixed.filter((m) => m.data.startsWith('{bad')).map((m) => m.data)),
    );
    expect(new Set(emitter.stored.map((m) => m.n)).size).toBe(500);
    expect(await store.get(streamName, 'shardId-000000000000')).toBeDefined();
  });

  it('retries items the emitter rejects, then dead-letters them and moves on', async () => {
    const { streamName, emitter, deadPath } = await setup({ shards: 1 });
    emitter.fail = (m) => m.n % 10 === 0;
    await putRaw(client, streamName, valid(0, 30));
    await eventually(() => readDead(deadPath).length === 3 && emitter.stored.length === 27, {
      message: 'dead letters',
    });
    const dead = readDead(deadPath);
    expect(
      dead.map((d) => JSON.parse(Buffer.from(d.data, 'base64').toString()).n).sort((a, b) => a - b),
    ).toEqual([0, 10, 20]);
    expect(dead.every((d) => d.stage === 'emit' && /cannot store/.test(d.error))).toBe(true);
    // Each failed item was offered 3 times (the default emitAttempts).
    const offers = emitter.batches.flatMap((b) => b.items.map((i) => i.model.n)).filter((n) => n === 10);
    expect(offers).toHaveLength(3);
  });

  it('moves no checkpoint during an emitter outage, and drains the backlog after', async () => {
    const { streamName, emitter, store } = await setup({ shards: 1, maxRecords: 20 });
    await putRaw(client, streamName, valid(0, 20));
    await eventually(() => emitter.stored.length === 20);
    await eventually(async () => (await store.get(streamName, 'shardId-000000000000')) !== undefined);
    const before = await store.get(streamName, 'shardId-000000000000');
    emitter.down = true;
    await putRaw(client, streamName, valid(20, 100));
    await eventually(() => emitter.calls > 5, { message: 'emits failing during the outage' });
    expect(await store.get(streamName, 'shardId-000000000000')).toEqual(before);
    emitter.down = false;
    await eventually(() => emitter.stored.length === 120, { message: 'the backlog drained' });
    expect(new Set(emitter.stored.map((m) => m.n)).size).toBe(120);
    await eventually(
      async () =>
        (await store.get(streamName, 'shardId-000000000000'))?.sequenceNumber !== before?.sequenceNumber,
    );
  });

  it('flushes and checkpoints on graceful shutdown', async () => {
    const { streamName, emitter, store, connector, counters } = await setup({
      shards: 1,
      maxRecords: 10_000,
      maxAgeMs: 60_000,
    });
    await putRaw(client, streamName, valid(0, 7));
    await eventually(() => counters.recordsRead >= 7, { message: 'the records read' });
    expect(emitter.stored).toHaveLength(0); // read but not flushed: the limits are far
    await connector.stop();
    connectors.splice(connectors.indexOf(connector), 1);
    expect(emitter.stored).toHaveLength(7);
    const last = emitter.batches.at(-1)!.lastSequenceNumber;
    expect((await store.get(streamName, 'shardId-000000000000'))?.sequenceNumber).toBe(last);
  });
});
