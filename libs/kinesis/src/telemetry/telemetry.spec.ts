import { propagation, ROOT_CONTEXT, trace, type TextMapPropagator } from '@opentelemetry/api';
import { startTestTelemetry } from '../../../../test/support/telemetry-sdk.js';
import { loadOtelApi, otelApi, otelReady } from './otel-api.js';
import { extractContext, injectContext, MAX_TRACE_HEADER_LENGTH } from './propagation.js';
import { cutForAttribute, MAX_ATTRIBUTE_CHARS, NO_SPAN, startMessagingSpan } from './spans.js';

const spec = { operation: 'send', type: 'send' as const, destination: 'act' };

/** A propagator that records what it is handed and takes `traceparent` as a fixed valid context. */
class RecordingPropagator implements TextMapPropagator {
  seen: Record<string, unknown> = {};
  keys: string[] = [];
  inject(): void {
    throw new Error('a broken propagator');
  }
  extract(context: typeof ROOT_CONTEXT, carrier: unknown, getter: any) {
    this.keys = getter.keys(carrier);
    for (const key of ['traceparent', 'tracestate', 'x-other']) this.seen[key] = getter.get(carrier, key);
    if (this.seen.traceparent === 'throw') throw new Error('a broken propagator');
    return trace.setSpanContext(context, {
      traceId: this.seen.traceparent === 'valid' ? 'a'.repeat(32) : '0'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 1,
      isRemote: true,
    });
  }
  fields(): string[] {
    return ['traceparent', 'tracestate'];
  }
}

describe('telemetry without an SDK, and with a missing API', () => {
  it('loadOtelApi: the API when installed, undefined (no error) when it is not', async () => {
    expect(typeof (await loadOtelApi())?.trace.getTracer).toBe('function');
    expect(await loadOtelApi('nestjs-kinesis-transport-no-such-otel-api')).toBeUndefined();
  });

  it('with the API but no SDK registered: spans carry no context, nothing throws', async () => {
    await otelReady();
    expect(otelApi()).toBeDefined();
    const span = startMessagingSpan(spec);
    expect(span.carrier()).toEqual({}); // no propagator registered: nothing goes on the wire
    expect(span.run(() => 42)).toBe(42);
    span.end();
    expect(NO_SPAN.carrier()).toEqual({});
  });
});

describe('trace context from records (hostile input)', () => {
  const propagator = new RecordingPropagator();
  beforeAll(async () => {
    await otelReady();
    propagation.setGlobalPropagator(propagator);
  });
  afterAll(() => propagation.disable());
  const api = () => otelApi()!;

  it('hands the propagator no value longer than MAX_TRACE_HEADER_LENGTH, and no inherited key', () => {
    const long = 'x'.repeat(MAX_TRACE_HEADER_LENGTH + 1);
    const carrier = Object.create({ 'x-other': 'inherited' }) as Record<string, string>;
    Object.assign(carrier, { traceparent: 'valid', tracestate: long });
    expect(extractContext(api(), carrier)).toBeDefined();
    expect(propagator.seen).toEqual({ traceparent: 'valid', tracestate: undefined, 'x-other': undefined });
    expect(propagator.keys).toEqual(['traceparent']);
  });

  it('keeps only a valid span context, and contains a propagator that throws', () => {
    expect(extractContext(api(), { traceparent: 'invalid-ids' })).toBeUndefined();
    expect(extractContext(api(), { traceparent: 'throw' })).toBeUndefined();
    expect(extractContext(api(), undefined)).toBeUndefined();
    expect(injectContext(api(), ROOT_CONTEXT)).toEqual({}); // inject threw: the message goes without context
  });

  it('cuts record-chosen attribute values and replaces control characters', () => {
    const cut = cutForAttribute(`a\nb${'p'.repeat(10_000)}`);
    expect(cut.startsWith('a?b')).toBe(true);
    expect(cut.length).toBeLessThan(MAX_ATTRIBUTE_CHARS + 32);
  });
});

describe('the test SDK (test/support/telemetry-sdk.ts)', () => {
  it('refuses to start over a registration left from before (it would get none of the spans and metrics)', async () => {
    const sdk = startTestTelemetry();
    try {
      expect(() => startTestTelemetry()).toThrow('left from before');
    } finally {
      await sdk.stop();
    }
  });
});

describe('a reply hop: the reply context counts only inside the call trace', () => {
  it('takes a remote parent of the same trace, and ignores (neither parent nor link) one of another trace', async () => {
    await otelReady();
    const sdk = startTestTelemetry();
    try {
      const call = startMessagingSpan({ ...spec, operation: 'call' });
      const server = call.run(() => startMessagingSpan({ ...spec, operation: 'server' }));
      const other = startMessagingSpan({ ...spec, operation: 'other' }); // a root span: a trace of its own
      const replyFrom = (remote: typeof call, destination: string) =>
        startMessagingSpan({
          operation: 'process',
          type: 'process',
          destination,
          parent: call,
          remoteParent: remote.carrier(),
          remoteParentTraceId: call.traceId,
        });
      const spans = [call, server, other, replyFrom(server, 'genuine'), replyFrom(other, 'forged')];
      for (const span of spans) span.end();
      const named = (name: string) => sdk.spans().find((s) => s.name === name)!;
      const [genuine, forged] = [named('process genuine'), named('process forged')];
      expect(genuine.parentSpanContext?.spanId).toBe(named('server act').spanContext().spanId);
      expect(genuine.links).toHaveLength(1);
      expect(forged.parentSpanContext?.spanId).toBe(named('call act').spanContext().spanId);
      expect(forged.links).toEqual([]);
      expect(forged.spanContext().traceId).toBe(call.traceId);
    } finally {
      await sdk.stop();
    }
  });
});
