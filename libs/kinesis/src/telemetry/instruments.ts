/**
 * The library's metric instruments, one set per meter provider: the global provider is read at each use, so an
 * SDK registered after the library loaded (or replaced, as tests do) gets the instruments too. Names follow the
 * messaging semantic conventions where one exists (messaging.process.duration, messaging.client.sent.messages,
 * messaging.client.consumed.messages); the rest are `kinesis.*`. Attributes are configured names (streams), fixed
 * values (operation, outcome, error.type) and shard ids: never a value a record chose.
 */
import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { otelApi } from './otel-api.js';
import { MESSAGING_SYSTEM, TELEMETRY_SCOPE } from './spans.js';

/** The semantic conventions' bucket boundaries for messaging durations, seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export const METRIC_NAMES = Object.freeze({
  processDuration: 'messaging.process.duration',
  callDuration: 'kinesis.client.call.duration',
  pendingCalls: 'kinesis.client.pending_calls',
  sentMessages: 'messaging.client.sent.messages',
  sentBytes: 'kinesis.client.sent.bytes',
  consumedMessages: 'messaging.client.consumed.messages',
  consumedBytes: 'kinesis.client.consumed.bytes',
  lag: 'kinesis.consumer.lag',
  throttles: 'kinesis.client.throttles',
  retries: 'kinesis.retries',
  deadLetters: 'kinesis.dead_letters',
  emitDuration: 'kinesis.connector.emit.duration',
  connectorRecords: 'kinesis.connector.records',
} as const);

export interface KinesisInstruments {
  /** Handler run (request until its final reply is stored; event with its retries), seconds. */
  processDuration: Histogram;
  /** A call's round trip: sent until its final reply, error or timeout, seconds. */
  callDuration: Histogram;
  sentMessages: Counter;
  sentBytes: Counter;
  consumedMessages: Counter;
  consumedBytes: Counter;
  throttles: Counter;
  /** Retries: a PutRecords entry put again (`send`), an event handler run again (`process`), an item emitted again (`emit`). */
  retries: Counter;
  /** Messages written to a dead-letter stream or sink. */
  deadLetters: Counter;
  /** One connector batch written to its sink (with its retries), seconds. */
  emitDuration: Histogram;
  /** Connector records written, each once by `kinesis.connector.outcome`: emitted, failed (given up: dead-lettered). */
  connectorRecords: Counter;
}

/** Something with values to observe at collection: a client's pending calls, a consumer's shards. */
export type GaugeSource = (observe: (value: number, attributes: Attributes) => void) => void;

const pendingSources = new Set<GaugeSource>();
const lagSources = new Set<GaugeSource>();

/** Adds a source of the pending-calls gauge; returns its removal. */
export function observePendingCalls(source: GaugeSource): () => void {
  pendingSources.add(source);
  return () => pendingSources.delete(source);
}

/** Adds a source of the per-shard lag gauge (it observes millisBehindLatest, in ms); returns its removal. */
export function observeLag(source: GaugeSource): () => void {
  lagSources.add(source);
  return () => lagSources.delete(source);
}

function observeAll(sources: Set<GaugeSource>, result: ObservableResult, scale = 1): void {
  for (const source of sources) {
    try {
      source((value, attributes) => result.observe(value * scale, attributes));
    } catch {
      // one broken source does not hide the others
    }
  }
}

function createInstruments(meter: Meter): KinesisInstruments {
  const n = METRIC_NAMES;
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  meter
    .createObservableUpDownCounter(n.pendingCalls, {
      description: 'Calls awaiting their reply',
      unit: '{call}',
    })
    .addCallback((result) => observeAll(pendingSources, result));
  meter
    // A duration, so in seconds (OpenTelemetry's unit for durations); sources observe Kinesis's milliseconds.
    .createObservableGauge(n.lag, { description: 'How far a shard reader is behind the tip', unit: 's' })
    .addCallback((result) => observeAll(lagSources, result, 1 / 1000));
  return {
    processDuration: seconds(n.processDuration, 'Duration of processing a message (its handler)'),
    callDuration: seconds(n.callDuration, 'Round trip of a call: sent until its final reply'),
    sentMessages: meter.createCounter(n.sentMessages, { description: 'Records put', unit: '{message}' }),
    sentBytes: meter.createCounter(n.sentBytes, { description: 'Bytes of the records put', unit: 'By' }),
    consumedMessages: meter.createCounter(n.consumedMessages, {
      description: 'Records read and delivered',
      unit: '{message}',
    }),
    consumedBytes: meter.createCounter(n.consumedBytes, {
      description: 'Bytes of the records read',
      unit: 'By',
    }),
    throttles: meter.createCounter(n.throttles, {
      description: 'Calls, or records of a call, Kinesis throttled',
      unit: '{throttle}',
    }),
    retries: meter.createCounter(n.retries, {
      description: 'Retried puts and event handler runs',
      unit: '{retry}',
    }),
    deadLetters: meter.createCounter(n.deadLetters, {
      description: 'Messages dead-lettered',
      unit: '{message}',
    }),
    emitDuration: seconds(n.emitDuration, 'Duration of writing one connector batch to its sink'),
    connectorRecords: meter.createCounter(n.connectorRecords, {
      description: 'Connector records by outcome',
      unit: '{message}',
    }),
  };
}

let cached: { provider: unknown; instruments: KinesisInstruments } | undefined;

/** The instruments of the current global meter provider; undefined without the API. */
export function instruments(): KinesisInstruments | undefined {
  const api = otelApi();
  if (!api) return undefined;
  const provider = api.metrics.getMeterProvider();
  if (cached?.provider !== provider)
    cached = { provider, instruments: createInstruments(provider.getMeter(TELEMETRY_SCOPE)) };
  return cached.instruments;
}

/** The attributes every messaging metric carries: system, a configured stream name, and the operation. */
export function messagingAttributes(destination: string, operation: string, more?: Attributes): Attributes {
  return {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': destination,
    'messaging.operation.name': operation,
    ...more,
  };
}

/** Seconds since `startedAt` (performance.now() ms), for the duration histograms. */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}
