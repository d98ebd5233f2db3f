/** Consume any stream (`streams`): other producers' records as @EventPattern events, beside the act stream; on kinesalite. */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { Controller, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import {
  aggregate,
  ensureStream,
  type Consumer,
  MemoryCheckpointStore,
  silentLogger,
  type Checkpoint,
} from '../../libs/kinesis/src/index.js';
import {
  redriveDeadLetters,
  ServerKinesis,
  type ClientKinesis,
  type EventDeadLetter,
  type ServerKinesisOptions,
} from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import {
  dynamoDeserializer,
  iotDeserializer,
  keyOf,
  readDeadLetters,
  seen,
  seenOf,
  StreamsModule,
} from './consume-streams-fixtures.js';
import { startClient, startMicroservice, type RunningService } from './fixtures.js';

describe('consume any stream (streams) on kinesalite', () => {
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const deadLetterStream = uniqueName('dlq');
  const clicks = uniqueName('clicks');
  const iot = uniqueName('iot');
  const orders = uniqueName('ddb');
  const endpoint = { endpoint: kinesisEndpoint('kinesalite'), region: 'us-east-1' };
  const store = new MemoryCheckpointStore();
  const checkpointed: Array<{ stream: string; shardId: string; checkpoint: Checkpoint }> = [];
  const recordingStore = {
    get: (stream: string, shard: string) => store.get(stream, shard),
    set: async (stream: string, shardId: string, checkpoint: Checkpoint) => {
      checkpointed.push({ stream, shardId, checkpoint });
      await store.set(stream, shardId, checkpoint);
    },
  };
  let admin: KinesisClient;
  let service: RunningService | undefined;
  let caller: { app: INestApplicationContext; client: ClientKinesis };

  const serverOptions = (): ServerKinesisOptions => ({
    ...endpoint,
    actStream,
    resStream,
    pollIntervalMs: 20,
    logger: silentLogger,
    checkpointStore: recordingStore,
    eventRetries: { attempts: 2, backoff: { baseMs: 5, maxMs: 20 }, deadLetterStream },
    streams: [
      { name: clicks, pattern: 'clickstream' },
      { name: iot, deserializer: iotDeserializer },
      { name: orders, deserializer: dynamoDeserializer },
    ],
  });
  const put = async (streamName: string, ...records: Array<Buffer | string | object>) => {
    const out = await admin.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: records.map((r, i) => ({
          PartitionKey: `pk-${i}`,
          Data: Buffer.isBuffer(r) ? r : Buffer.from(typeof r === 'string' ? r : JSON.stringify(r)),
        })),
      }),
    );
    expect(out.FailedRecordCount ?? 0).toBe(0);
  };
  const deadLetters = () => readDeadLetters(admin, deadLetterStream);

  beforeAll(async () => {
    admin = kinesisClient('kinesalite');
    for (const name of [actStream, resStream, deadLetterStream, clicks, iot, orders])
      await ensureStream(admin, name, { shardCount: 1 }); // one shard each: the same shard id on every stream
    service = await startMicroservice(StreamsModule, new ServerKinesis(serverOptions()));
    caller = await startClient({ ...endpoint, actStream, resStream });
  });
  afterAll(async () => {
    await caller?.app.close();
    await service?.close();
    admin?.destroy();
  });

  it('hands plain JSON records of another producer to @EventPattern(pattern), non-JSON as bytes, with the raw record', async () => {
    await put(clicks, { key: 'c1', page: '/home' }, 'not json at all', Buffer.from([0xff, 0x00, 0x7b]));
    await eventually(() => seenOf('clickstream').length >= 3, { message: 'three clicks' });
    const [json, text, bytes] = seenOf('clickstream');
    expect(json.data).toEqual({ key: 'c1', page: '/home' });
    expect(Buffer.isBuffer(text.data) && text.data.toString('utf8')).toBe('not json at all');
    expect(Buffer.isBuffer(bytes.data) && [...bytes.data]).toEqual([0xff, 0x00, 0x7b]);
    // The context: the stream, and the raw record as read (what a deserializer gets).
    expect(json.stream).toBe(clicks);
    expect(json.record).toMatchObject({ partitionKey: 'pk-0', sequenceNumber: json.sequenceNumber });
    expect(json.record?.data.toString('utf8')).toBe(JSON.stringify({ key: 'c1', page: '/home' }));
    expect(json.record?.approximateArrivalTimestamp).toBeInstanceOf(Date);
  });

  it('maps IoT and DynamoDB-stream-like records to patterns through their deserializers; undefined skips, counted', async () => {
    const skippedBefore = service!.server.stats.skipped;
    await put(iot, { device: 'd1', type: 'heartbeat' }, { device: 'd1', type: 'temperature', value: 21.5 });
    await put(orders, {
      tableName: 'orders',
      eventName: 'INSERT',
      dynamodb: { NewImage: { id: { S: 'o-1' }, total: { N: '42' } } },
    });
    await eventually(() => seenOf('device.temperature').length === 1 && seenOf('orders.INSERT').length === 1);
    expect(seenOf('device.temperature')[0]).toMatchObject({
      data: { device: 'd1', value: 21.5 },
      stream: iot,
    });
    expect(seenOf('orders.INSERT')[0]).toMatchObject({ data: { id: 'o-1', total: 42 }, stream: orders });
    expect(service!.server.stats.skipped).toBe(skippedBefore + 1); // the heartbeat
  });

  it('serves the act stream at the same time: requests answered, events handled, with their record', async () => {
    expect(await lastValueFrom(caller.client.send('sum', [1, 2, 3]))).toBe(6);
    await lastValueFrom(caller.client.emit('evt', { key: 'a1' }));
    await eventually(() => seenOf('evt').length === 1, { message: 'the act event' });
    const [act] = seenOf('evt');
    expect(act.stream).toBe(actStream);
    expect(act.record?.sequenceNumber).toBe(act.sequenceNumber); // the envelope's record, as read
    expect(JSON.parse(act.record!.data.toString('utf8'))).toMatchObject({ pattern: 'evt' });
  });

  it('splits KPL-aggregated records of another producer into their user records', async () => {
    const aggregated = aggregate(
      ['k-agg-1', 'k-agg-2'].map((key) => ({
        data: Buffer.from(JSON.stringify({ key })),
        partitionKey: key,
      })),
    );
    await put(clicks, aggregated);
    await eventually(() => seenOf('clickstream').filter((s) => keyOf(s)?.startsWith('k-agg')).length === 2);
    const subs = seenOf('clickstream').filter((s) => keyOf(s)?.startsWith('k-agg'));
    expect(subs.map((s) => [keyOf(s), s.subSequenceNumber, s.record?.partitionKey])).toEqual([
      ['k-agg-1', 0, 'k-agg-1'],
      ['k-agg-2', 1, 'k-agg-2'],
    ]);
  });

  it('hands hostile records over as bytes (too deep, not UTF-8) and refuses hostile patterns, going on', async () => {
    const invalidBefore = service!.server.stats.invalid;
    const deep = '['.repeat(5_000) + ']'.repeat(5_000);
    await put(clicks, deep, { key: 'after-deep' });
    await put(
      iot,
      { device: 'evil', type: 'x'.repeat(5_000) },
      { device: 'd2', type: 'temperature', value: 3 },
    );
    await eventually(() => seen.some((s) => keyOf(s) === 'after-deep'), { message: 'the record after' });
    await eventually(() => seenOf('device.temperature').some((s) => (s.data as any).device === 'd2'));
    const deepSeen = seenOf('clickstream').find((s) => Buffer.isBuffer(s.data) && s.data.length === 10_000);
    expect(deepSeen).toBeDefined(); // never parsed: bytes
    expect(service!.server.stats.invalid).toBe(invalidBefore + 1);
    // The record with the refused pattern is in the dead letters, with its bytes, named by its stream.
    await eventually(async () => (await deadLetters()).some((d) => d.stream === iot));
    const entry = (await deadLetters()).find((d) => d.stream === iot)!;
    expect(entry.origin).toBe('stream');
    expect(JSON.parse(Buffer.from(entry.data, 'base64').toString('utf8')).device).toBe('evil');
  });

  it('retries a failing handler of a stream, then dead-letters the raw record naming its stream; redrive never puts it on an act stream', async () => {
    const failing = { key: 'c-fail', fail: true };
    await put(clicks, failing);
    await eventually(async () => (await deadLetters()).some((d) => d.stream === clicks), {
      message: 'the dead letter',
    });
    expect(seen.filter((s) => keyOf(s) === 'c-fail')).toHaveLength(2); // eventRetries.attempts
    const entry = (await deadLetters()).find((d) => d.stream === clicks)!;
    expect(entry).toMatchObject({ origin: 'stream', pattern: 'clickstream', attempts: 2 });
    expect(Buffer.from(entry.data, 'base64').toString('utf8')).toBe(JSON.stringify(failing));
    // Not onto the act stream, nor onto a stream of that name taken for an act stream: refused, counted.
    for (const target of [actStream, clicks]) {
      const result = await redriveDeadLetters({ client: admin, deadLetterStream, actStream: target });
      expect(result.redriven).toBe(0);
      expect(result.refused).toBeGreaterThanOrEqual(1);
    }
  });

  it('treats a throwing deserializer as a failing attempt: retried, then dead-lettered with the raw bytes', async () => {
    await put(iot, 'garbage from a broken device');
    const isGarbage = (d: EventDeadLetter) =>
      d.stream === iot && Buffer.from(d.data, 'base64').toString('utf8') === 'garbage from a broken device';
    await eventually(async () => (await deadLetters()).some(isGarbage), { message: 'the dead letter' });
    expect((await deadLetters()).find(isGarbage)).toMatchObject({ origin: 'stream', attempts: 2 });
  });

  it('reports throttling of any stream in the status, until that stream reads again', async () => {
    const server = service!.server;
    const statuses: string[] = [];
    const subscription = server.status.subscribe((status) => statuses.push(status));
    const consumers = (
      server as unknown as { consumersByStream(): ReadonlyMap<string, Consumer> }
    ).consumersByStream();
    expect([...consumers.keys()]).toEqual([actStream, clicks, iot, orders]);
    consumers.get(orders)!.emit('throttled', 'shardId-000000000000');
    expect(statuses.at(-1)).toBe('throttled');
    await eventually(() => statuses.at(-1) === 'connected', { message: 'connected again' });
    subscription.unsubscribe();
  });

  it('keeps a checkpoint per stream: a restarted server goes on after the last handled record of each', async () => {
    await service!.close();
    service = undefined;
    const onClicks = checkpointed.filter((c) => c.stream === clicks);
    const onIot = checkpointed.filter((c) => c.stream === iot);
    // Same shard id on both streams, kept apart (one stream's checkpoint never moves the other's).
    expect(onClicks.at(-1)!.shardId).toBe(onIot.at(-1)!.shardId);
    const stored = async (stream: string, shardId: string) =>
      (await store.get(stream, shardId))?.sequenceNumber;
    expect(await stored(clicks, onClicks.at(-1)!.shardId)).toBe(onClicks.at(-1)!.checkpoint.sequenceNumber);
    expect(await stored(iot, onIot.at(-1)!.shardId)).toBe(onIot.at(-1)!.checkpoint.sequenceNumber);
    expect(onClicks.at(-1)!.checkpoint.sequenceNumber).not.toBe(onIot.at(-1)!.checkpoint.sequenceNumber);
    const handledBefore = seen.length;
    await put(clicks, { key: 'after-restart' });
    await put(iot, { device: 'd3', type: 'temperature', value: 7 });
    service = await startMicroservice(StreamsModule, new ServerKinesis(serverOptions()));
    await eventually(() => seen.some((s) => keyOf(s) === 'after-restart'), { message: 'the new click' });
    await eventually(() => seenOf('device.temperature').some((s) => (s.data as any).device === 'd3'));
    // Only the two new records: nothing before the checkpoints was handled again.
    expect(
      seen
        .slice(handledBefore)
        .map((s) => s.pattern)
        .sort(),
    ).toEqual(['clickstream', 'device.temperature']);
  });
});

describe('streams: options', () => {
  @Controller()
  class RequestOnly {
    @MessagePattern('clickstream')
    clicks() {
      return 'a reply no one reads';
    }
  }
  @Module({ controllers: [RequestOnly] })
  class RequestOnlyModule {}

  it('fails to listen naming a missing stream; createStreams creates it', async () => {
    const endpoint = { endpoint: kinesisEndpoint('kinesalite'), region: 'us-east-1', logger: silentLogger };
    const [actStream, resStream, missing] = [uniqueName('act'), uniqueName('res'), uniqueName('clicks')];
    const options = {
      ...endpoint,
      actStream,
      resStream,
      streams: [{ name: missing, pattern: 'clickstream' }],
    };
    const admin = kinesisClient('kinesalite');
    try {
      await ensureStream(admin, actStream, { shardCount: 1 });
      const refused = new ServerKinesis(options);
      const app = await NestFactory.createMicroservice(StreamsModule, { strategy: refused, logger: false });
      await expect(app.listen()).rejects.toMatchObject({ role: 'consumed', streamName: missing });
      await app.close();
      const created = await startMicroservice(
        StreamsModule,
        new ServerKinesis({ ...options, createStreams: true }),
      );
      await created.close();
      expect((await ensureStream(admin, missing)).created).toBe(false); // the server created it
    } finally {
      admin.destroy();
    }
  });

  it('refuses to listen when a stream pattern has a @MessagePattern handler or none: its records are events', async () => {
    const refusal = async (streams: ServerKinesisOptions['streams']) => {
      const strategy = new ServerKinesis({ logger: silentLogger, streams });
      const app = await NestFactory.createMicroservice(RequestOnlyModule, { strategy, logger: false });
      const error = await app.listen().catch((e: unknown) => e);
      await app.close();
      return error;
    };
    expect(await refusal([{ name: 'clicks', pattern: 'clickstream' }])).toMatchObject({
      message: expect.stringMatching(/@EventPattern\('clickstream'\).*@MessagePattern/),
    });
    expect(await refusal([{ name: 'other' }])).toMatchObject({
      message: expect.stringMatching(/@EventPattern\('other'\).*none/),
    });
  });
});
