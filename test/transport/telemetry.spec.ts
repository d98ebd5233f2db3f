/**
 * OpenTelemetry through a real Nest microservice and ClientKinesis on kinesalite, with the real SDK (in-memory
 * span exporter, pull metric reader): a call is one trace across both hops, an event too, the metrics are
 * recorded, a hostile trace context is ignored, a `streams` record gets its span, and `telemetry: false` sends none.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { firstValueFrom, toArray } from 'rxjs';
import { ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import { METRIC_NAMES } from '../../libs/kinesis/src/telemetry/index.js';
import { ClientKinesis, KinesisMessage, ServerKinesis } from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { injectFaults, serviceError } from '../support/faults.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { startTestTelemetry, total, type TestTelemetry } from '../support/telemetry-sdk.js';
import { startClient, startMicroservice, type RunningService } from './fixtures.js';
import { handled, TracedModule, type Handled } from './telemetry-fixtures.js';

describe('OpenTelemetry traces and metrics of the transporter on kinesalite', () => {
  let sdk: TestTelemetry;
  let admin: KinesisClient;
  let service: RunningService;
  let client: ClientKinesis;
  const apps: INestApplicationContext[] = [];
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const deadLetterStream = uniqueName('dlq');
  const foreignStream = uniqueName('foreign');
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
    await ensureStream(admin, foreignStream, { shardCount: 1 });
    service = await startMicroservice(
      TracedModule,
      new ServerKinesis({
        ...base,
        pollIntervalMs: 20,
        logger: silentLogger,
        eventRetries: { attempts: 2, backoff: { baseMs: 1, maxMs: 1 }, deadLetterStream },
        streams: [
          { name: foreignStream, pattern: 'traced.foreign', startPosition: { type: 'TRIM_HORIZON' } },
        ],
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

  it("metadata passed on from another message (its traceparent, tracestate) never mixes with the send span's context", async () => {
    // A handler forwarding ctx.getMetadata() downstream: propagation fields of another trace, a tracestate among them.
    const stale = {
      traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`,
      tracestate: 'stale=1',
      kept: 'yes',
    };
    const message = new KinesisMessage({ n: 5 }, { metadata: stale });
    const reply = await firstValueFrom(client.send<Handled>('traced.call', message));
    const traceparentOf = (span: ReadableSpan) => `00-${traceOf(span)}-${idOf(span)}-01`;
    const [send] = spans(`send ${actStream}`, (s) => traceparentOf(s) === reply.metadata.traceparent);
    expect(reply.metadata).toEqual({ traceparent: traceparentOf(send), kept: 'yes' });
    const id = send.attributes['messaging.message.id'] as string;
    await eventually(() => spans(`process ${actStream}`, byMessage(id)).length === 1); // ends after the reply
    const [process] = spans(`process ${actStream}`, byMessage(id));
    expect(process.spanContext().traceState).toBeUndefined();
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

  it('a handler returning an Observable produces its later values inside the process span', async () => {
    const values = await firstValueFrom(client.send<string | undefined>('traced.stream', {}).pipe(toArray()));
    const [send] = spans(`send ${actStream}`, (s) => s.attributes['kinesis.pattern'] === 'traced.stream');
    const id = send.attributes['messaging.message.id'] as string;
    await eventually(() => spans(`process ${actStream}`, byMessage(id)).length === 1);
    const [process] = spans(`process ${actStream}`, byMessage(id));
    expect(values).toEqual([idOf(process), idOf(process)]);
    // Every reply, the last one too, got its own send span under the process span, and all are ended.
    const replies = spans(`send ${resStream}`, byMessage(id));
    expect(replies.map((r) => r.parentSpanContext?.spanId)).toEqual([idOf(process), idOf(process)]);
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

  it('a record of a `streams` entry gets a process span; its trace context only when it is a transport envelope', async () => {
    const producer = trace.getTracer('test').startSpan('producer');
    const { traceId, spanId } = producer.spanContext();
    const traceparent = `00-${traceId}-${spanId}-01`;
    await putRaw(admin, foreignStream, [
      { data: JSON.stringify({ foreign: 1 }), key: 'a' },
      {
        data: JSON.stringify({
          v: 1,
          id: 'e',
          pattern: 'x',
          data: { foreign: 2 },
          metadata: { traceparent },
        }),
        key: 'b',
      },
      { data: JSON.stringify({ foreign: 3, traceparent, metadata: { traceparent } }), key: 'c' }, // not ours
    ]);
    type Foreign = { foreign?: number; data?: { foreign?: number } };
    const served = (n: number) =>
      handled.find(({ data }) => ((data as Foreign).foreign ?? (data as Foreign).data?.foreign) === n);
    const ended = (n: number) => sdk.spans().some((s) => idOf(s) === served(n)?.activeSpanId);
    await eventually(() => [1, 2, 3].every(ended)); // served, inside a span since ended
    const spanOf = (n: number) => {
      const found = sdk.spans().filter((s) => idOf(s) === served(n)!.activeSpanId);
      expect(found).toHaveLength(1); // the handler ran inside it, and it is ended
      return found[0];
    };
    for (const n of [1, 2, 3]) {
      const span = spanOf(n);
      expect(span.name).toBe(`process ${foreignStream}`);
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.attributes).toMatchObject({
        'messaging.system': 'aws_kinesis',
        'messaging.operation.type': 'process',
        'messaging.destination.name': foreignStream,
        'messaging.destination.partition.id': 'shardId-000000000000',
        'kinesis.pattern': 'traced.foreign',
      });
    }
    for (const n of [1, 3]) {
      expect(spanOf(n).parentSpanContext).toBeUndefined();
      expect(spanOf(n).links).toEqual([]);
    }
    expect(spanOf(2).parentSpanContext?.spanId).toBe(spanId);
    expect(spanOf(2).links.map((l) => l.context.spanId)).toEqual([spanId]);
    producer.end();
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
    expect(m.get(n.lag)?.descriptor.unit).toBe('s'); // a duration: seconds, not Kinesis's milliseconds
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

  it('counts each throttled reply read once (kinesis.client.throttles)', async () => {
    const throttledRes = uniqueName('res-throttled');
    await ensureStream(admin, throttledRes, { shardCount: 1 });
    const awsClient = kinesisClient('kinesalite'); // its own: the faults are injected into it
    let throttled = 0;
    let throttling = true;
    injectFaults(awsClient, {
      GetRecords: async ({ send }) => {
        if (!throttling) return send();
        throttled++;
        throw serviceError('ProvisionedThroughputExceededException');
      },
    });
    const started = await startClient({ ...base, resStream: throttledRes, awsClient });
    // The reply reader reads while a call waits (this one is never answered: the server refuses its replyTo).
    const waiting = started.client.send('traced.call', { n: 5 }).subscribe({ error: () => undefined });
    await eventually(() => throttled >= 3, { message: 'three throttled reply reads' });
    throttling = false;
    await eventually(() => started.client.health().replyReaders[0]?.throttleStreak === 0, {
      message: 'a successful read',
    });
    waiting.unsubscribe();
    await started.app.close();
    awsClient.destroy();
    const points = ((await sdk.metrics()).get(METRIC_NAMES.throttles)?.dataPoints ?? []).filter(
      (p) => p.attributes['messaging.destination.name'] === throttledRes,
    );
    expect(points.reduce((sum, p) => sum + (p.value as number), 0)).toBe(throttled);
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
