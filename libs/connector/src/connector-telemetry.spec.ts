/**
 * The connector's telemetry with the real OpenTelemetry SDK on kinesalite: an `emit` span per batch, linked to the
 * producer contexts its records carry (transport envelopes), and the write's metrics.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { SpanKind, trace } from '@opentelemetry/api';
import { ensureStream, MemoryCheckpointStore, silentLogger } from '../../kinesis/src/index.js';
import { METRIC_NAMES, otelReady } from '../../kinesis/src/telemetry/index.js';
import { eventually, kinesisClient, uniqueName } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { startTestTelemetry, total, type TestTelemetry } from '../../../test/support/telemetry-sdk.js';
import { Connector } from './connector.js';
import { FileDeadLetterSink } from './dead-letter/file-sink.js';
import type { EmitBatch, Emitter, FailedItem } from './interfaces.js';
import { PipelineCounters } from './pipeline-observer.js';
import { JsonTransformer } from './transformers.js';

type Envelope = { v: 1; id: string; data: { n: number; refuse?: boolean } };

/** Stores every model but those marked `refuse` (they fail every attempt, then are dead-lettered). */
class RefusingEmitter implements Emitter<Envelope> {
  stored = 0;
  async emit(batch: EmitBatch<Envelope>): Promise<FailedItem<Envelope>[]> {
    const failed = batch.items.filter((i) => i.model.data.refuse).map((item) => ({ item, error: 'refused' }));
    this.stored += batch.items.length - failed.length;
    return failed;
  }
  async shutdown(): Promise<void> {}
}

describe('connector telemetry on kinesalite', () => {
  let sdk: TestTelemetry;
  let client: KinesisClient;
  let connector: Connector<Envelope> | undefined;
  beforeAll(async () => {
    await otelReady();
    sdk = startTestTelemetry();
    client = kinesisClient('kinesalite');
  });
  afterAll(async () => {
    await connector?.stop();
    client?.destroy();
    await sdk?.stop();
  });

  it('an emit span per batch, linked to the producers of its envelopes; emitted, failed (once), retried, dead-lettered, duration', async () => {
    const streamName = uniqueName('otel-connector');
    await ensureStream(client, streamName, { shardCount: 1 });
    // Two producers' sends: each record carries its send span's W3C context, as the transport's client writes it.
    const producers = [0, 1].map((i) => trace.getTracer('test').startSpan(`producer ${i}`));
    const traceparent = (i: number) => {
      const { traceId, spanId } = producers[i].spanContext();
      return `00-${traceId}-${spanId}-01`;
    };
    const envelope = (n: number, refuse = false) =>
      JSON.stringify({
        v: 1,
        id: `m${n}`,
        pattern: 'p',
        data: { n, refuse },
        metadata: { traceparent: traceparent(n % 2) },
      });
    const records = [0, 1, 2, 3].map((n) => ({ data: envelope(n, n === 3), key: `k${n}` }));
    records.push({ data: JSON.stringify({ v: 1, id: 'plain', data: { n: 9 } }), key: 'k9' }); // no metadata: no link
    const emitter = new RefusingEmitter();
    connector = new Connector<Envelope>({
      client,
      streamName,
      checkpointStore: new MemoryCheckpointStore(),
      transformer: new JsonTransformer<Envelope>(),
      emitter,
      deadLetter: new FileDeadLetterSink(join(mkdtempSync(join(tmpdir(), 'otel-dlq-')), 'dead.jsonl')),
      bufferLimits: { maxRecords: 5, maxAgeMs: 60_000 },
      observer: new PipelineCounters(),
      logger: silentLogger,
      consumer: { pollIntervalMs: 20 },
      pipeline: { emitAttempts: 2, backoff: { baseMs: 1, maxMs: 1 }, ageCheckIntervalMs: 25 },
    });
    await connector.start();
    await putRaw(client, streamName, records);
    await eventually(() => sdk.spans().some((s) => s.name === `emit ${streamName}`), {
      message: 'emit span',
    });

    const [emit] = sdk.spans().filter((s) => s.name === `emit ${streamName}`);
    expect(emit.kind).toBe(SpanKind.CONSUMER);
    expect(emit.attributes).toMatchObject({
      'messaging.system': 'aws_kinesis',
      'messaging.operation.name': 'emit',
      'messaging.destination.name': streamName,
      'messaging.batch.message_count': 5,
    });
    const linked = emit.links.map((l) => l.context.spanId).sort();
    expect(linked).toEqual(producers.map((p) => p.spanContext().spanId).sort()); // one link per producer context
    const m = await sdk.metrics();
    const byOutcome = (outcome: string) =>
      m
        .get(METRIC_NAMES.connectorRecords)
        ?.dataPoints.find((p) => p.attributes['kinesis.connector.outcome'] === outcome)?.value;
    expect(byOutcome('emitted')).toBe(4);
    // The refused record counts once (given up on after its 2 attempts, then dead-lettered); its second attempt is
    // a retry. Outcomes add up to the records written: none counts twice.
    expect(byOutcome('failed')).toBe(1);
    expect(total(m.get(METRIC_NAMES.retries))).toBe(1);
    expect(total(m.get(METRIC_NAMES.deadLetters))).toBe(1);
    expect(total(m.get(METRIC_NAMES.emitDuration))).toBe(1);
    expect(total(m.get(METRIC_NAMES.consumedMessages))).toBe(5); // the core consumer's count
  });
});
