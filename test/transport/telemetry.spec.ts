/**
 * OpenTelemetry through a real Nest microservice and ClientKinesis on kinesalite, with the real SDK (in-memory
 * span exporter, pull metric reader): a call is one trace across both hops, an event too, the metrics are
 * recorded, a hostile trace context is ignored, and `telemetry: false` sends none.
 */
import { Controller, Module, type INestApplicationContext } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { firstValueFrom } from 'rxjs';
import { ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import { METRIC_NAMES } from '../../libs/kinesis/src/telemetry/index.js';
import { ClientKinesis, KinesisContext, ServerKinesis } from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { startTestTelemetry, total, type TestTelemetry } from '../support/telemetry-sdk.js';
import { startClient, startMicroservice, type RunningService } from './fixtures.js';

interface Handled {
  data: unknown;
  activeSpanId: string | undefined;
  metadata: Record<string, string>;
}
const handled: Handled[] = [];
const note = (data: unknown, ctx: KinesisContext): Handled => ({
  data,
  activeSpanId: trace.getActiveSpan()?.spanContext().spanId,
  metadata: ctx.getMetadata(),
});

@Controller()
class TracedController {
  @MessagePattern('traced.call')
  call(@Payload() data: unknown, @Ctx() ctx: KinesisContext): Handled {
    const seen = note(data, ctx);
    handled.push(seen);
    return seen;
  }

  @EventPattern<string>('traced.event')
  event(@Payload() data: unknown, @Ctx() ctx: KinesisContext): void {
    handled.push(note(data, ctx));
  }

  @MessagePattern({ role: 'otel', cmd: 'ping' })
  ping(): string {
    return 'pong';
  }

  @EventPattern<string>('traced.fails')
  fails(): never {
    throw new Error('handler failed');
  }
}

@Module({ controllers: [TracedController] })
class TracedModule {}

describe('OpenTelemetry traces and metrics of the transporter on kinesalite', () => {
  let sdk: TestTelemetry;
  let admin: KinesisClient;
  let service: RunningService;
  let client: ClientKinesis;
  const apps: INestApplicationContext[] = [];
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const deadLetterStream = uniqueName('dlq');
  const base = { endpoint: kinesisEndpoint('kinesalite'), region: 'us-east-1', actStream, resStream };

  const spans = (name: string, filter: (s: ReadableSpan) => boolean = () => true) =>
    sdk.spans().filter((s) => s.name === name && filter(s));
  const byMessage = (id: string) => (s: ReadableSpan) => s.attributes['messaging.message.id'] === id;
  const idOf = (s: ReadableSpan) => s.spanContext().spanId;
  const traceOf = (s: ReadableSpan) => s.spanContext().traceId;

  beforeAll(async () => {
    sdk = startTestTelemetry();
    admin = kinesisClient('kinesalite');
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    await ensureStream(admin, deadLetterStream, { shardCount: 1 });
    service = await startMicroservice(
      TracedModule,
      new ServerKinesis({
        ...base,
        pollIntervalMs: 20,
        logger: silentLogger,
        eventRetries: { attempts: 2, backoff: { baseMs: 1, maxMs: 1 }, deadLetterStream },
      }),
    );
    const started = await startClient(base);
    apps.push(started.app);
    client = started.client;
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await service?.close();
    admin?.destroy();
    await sdk?.stop();
  });

  it('a call is one trace: send act -> process act (the handler inside it) -> send res -> process res', async () => {
    const reply = await firstValueFrom(client.send<Handled>('traced.call', { n: 1 }));
    const send = spans(`send ${actStream}`, (s) => s.attributes['kinesis.pattern'] === 'traced.call');
    expect(send).toHaveLength(1);
    const id = send[0].attributes['messaging.message.id'] as string;
    await eventually(() => spans(`process ${resStream}`, byMessage(id)).length === 1);
    const [process] = spans(`process ${actStream}`, byMessage(id));
    const [replySend] = spans(`send ${resStream}`, byMessage(id));
    const [replyProcess] = spans(`process ${resStream}`, byMessage(id));

    expect(send[0].kind).toBe(SpanKind.PRODUCER);
    expect(send[0].attributes).toMatchObject({
      'messaging.system': 'aws_kinesis',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': actStream,
    });
    expect(send[0].attributes['messaging.destination.partition.id']).toMatch(/^shardId-/);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.attributes).toMatchObject({
      'messaging.system': 'aws_kinesis',
      'messaging.operation.type': 'process',
      'messaging.destination.name': actStream,
      'messaging.destination.partition.id': expect.stringMatching(/^shardId-/),
    });
    // One trace, parent to child across each hop; the process span also links the message's creation context.
    for (const span of [process, replySend, replyProcess]) expect(traceOf(span)).toBe(traceOf(send[0]));
    expect(process.parentSpanContext?.spanId).toBe(idOf(send[0]));
    expect(process.links.map((l) => l.context.spanId)).toEqual([idOf(send[0])]);
    expect(replySend.kind).toBe(SpanKind.PRODUCER);
    expect(replySend.parentSpanContext?.spanId).toBe(idOf(process));
    expect(replyProcess.kind).toBe(SpanKind.CONSUMER);
    expect(replyProcess.parentSpanContext?.spanId).toBe(idOf(replySend));
    // The handler ran inside the process span; the request carried the W3C context of the send span.
    expect(reply.activeSpanId).toBe(idOf(process));
    expect(reply.metadata.traceparent).toBe(`00-${traceOf(send[0])}-${idOf(send[0])}-01`);
  });

  it('an event is one trace: send act -> process act', async () => {
    await client.emit('traced.event', { n: 2 }).toPromise();
    const [send] = spans(`send ${actStream}`, (s) => s.attributes['kinesis.pattern'] === 'traced.event');
    const id = send.attributes['messaging.message.id'] as string;
    await eventually(() => spans(`process ${actStream}`, byMessage(id)).length === 1);
    const [process] = spans(`process ${actStream}`, byMessage(id));
    expect(traceOf(process)).toBe(traceOf(send));
    expect(process.parentSpanContext?.spanId).toBe(idOf(send));
    expect(handled.find((h) => (h.data as { n?: number }).n === 2)?.activeSpanId).toBe(idOf(process));
  });

  it('a hostile record: a malformed or oversized traceparent is ignored (a root span, no link), the event served', async () => {
    const hostile = [
      { traceparent: 'not-a-traceparent', tracestate: 'x'.repeat(8000) },
      { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01${' '.repeat(8000)}` },
      { traceparent: `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01` }, // the invalid (all-zero) ids
      { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`.repeat(100) },
    ];
    const ids = hostile.map((_, i) => `hostile-${i}-${Date.now()}`);
    const records = hostile.map((metadata, i) => ({
      data: JSON.stringify({ v: 1, id: ids[i], pattern: 'traced.event', data: { hostile: i }, metadata }),
      key: ids[i],
    }));
    await putRaw(admin, actStream, records);
    await eventually(() => ids.every((id) => spans(`process ${actStream}`, byMessage(id)).length === 1));
    for (const id of ids) {
      const [process] = spans(`process ${actStream}`, byMessage(id));
      expect(process.parentSpanContext).toBeUndefined();
      expect(process.links).toEqual([]);
    }
    expect(handled.filter((h) => (h.data as { hostile?: number }).hostile !== undefined)).toHaveLength(4);
  });

  it('records the metrics: durations, records and bytes both ways, pending calls, lag per shard, retries, dead letters', async () => {
    await firstValueFrom(client.send('traced.call', { n: 3 }));
    await client.emit('traced.fails', {}).toPromise();
    await eventually(() => service.server.stats.eventsDeadLettered === 1);
    const m = await sdk.metrics();
    const n = METRIC_NAMES;
    expect(total(m.get(n.processDuration))).toBeGreaterThan(0);
    expect(total(m.get(n.callDuration))).toBeGreaterThan(0);
    expect(total(m.get(n.sentMessages))).toBeGreaterThan(0);
    expect(total(m.get(n.sentBytes))).toBeGreaterThan(0);
    expect(total(m.get(n.consumedMessages))).toBeGreaterThan(0);
    expect(total(m.get(n.consumedBytes))).toBeGreaterThan(0);
    expect(total(m.get(n.retries))).toBeGreaterThan(0);
    expect(total(m.get(n.deadLetters))).toBe(1);
    expect(m.get(n.pendingCalls)?.dataPoints.map((p) => p.value)).toContain(0); // every call answered
    const lag = m.get(n.lag)?.dataPoints ?? [];
    expect(lag.map((p) => p.attributes['messaging.destination.partition.id'])).toContain(
      'shardId-000000000000',
    );
    // Metric attributes are configured names and fixed values: no pattern, no id a record chose.
    const keys = new Set(
      [...m.values()].flatMap((metric) => metric.dataPoints.flatMap((p) => Object.keys(p.attributes))),
    );
    expect([...keys].sort()).toEqual(expect.not.arrayContaining(['kinesis.pattern', 'messaging.message.id']));
  });

  it('Seneca acts get a send span and a process span, in two traces (an act carries no trace context)', async () => {
    const seneca = await startClient({ ...base, protocol: 'seneca', seneca: { instanceId: 'otel-caller' } });
    apps.push(seneca.app);
    expect(await firstValueFrom(seneca.client.send({ role: 'otel', cmd: 'ping' }, {}))).toEqual({
      value: 'pong',
    }); // Seneca's shape of a non-object result
    const isPing = (s: ReadableSpan) => s.attributes['kinesis.pattern'] === '{"role":"otel","cmd":"ping"}';
    const [send] = spans(`send ${actStream}`, isPing);
    const id = send.attributes['messaging.message.id'] as string;
    await eventually(() => spans(`process ${actStream}`, byMessage(id)).length === 1);
    const [process] = spans(`process ${actStream}`, byMessage(id));
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.parentSpanContext).toBeUndefined();
    expect(traceOf(process)).not.toBe(traceOf(send));
  });

  it('a send that fails before it is put (the serializer threw) ends its span, failed', async () => {
    const failing = await startClient({
      ...base,
      serializer: {
        serialize: () => {
          throw new Error('not serializable');
        },
      },
    });
    apps.push(failing.app);
    await expect(firstValueFrom(failing.client.send('traced.unserializable', {}))).rejects.toThrow();
    const [send] = spans(
      `send ${actStream}`,
      (s) => s.attributes['kinesis.pattern'] === 'traced.unserializable',
    );
    expect(send.attributes['error.type']).toBe('send_failed');
  });

  it('telemetry: false sends no trace context and records no span of its own', async () => {
    const started = await startClient({ ...base, telemetry: false });
    apps.push(started.app);
    const before = sdk.spans().length;
    const reply = await firstValueFrom(started.client.send<Handled>('traced.call', { n: 4 }));
    expect(reply.metadata.traceparent).toBeUndefined();
    const own = sdk
      .spans()
      .slice(before)
      .filter((s) => s.name === `send ${actStream}`);
    expect(own).toEqual([]);
  });
});
