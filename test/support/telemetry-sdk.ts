/**
 * The real OpenTelemetry SDK for tests, registered globally as an app would: a tracer provider with an in-memory
 * span exporter, a meter provider with a pull reader (collect() on demand: no timing), W3C propagation and the
 * async-hooks context manager. `stop()` unregisters everything.
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** Collects only when asked. */
class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export interface TestTelemetry {
  spans(): ReadableSpan[];
  /** Every metric collected now, by name. */
  metrics(): Promise<Map<string, MetricData>>;
  stop(): Promise<void>;
}

export function startTestTelemetry(): TestTelemetry {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new PullReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const contextManager = new AsyncHooksContextManager().enable();
  const registered = [
    context.setGlobalContextManager(contextManager),
    propagation.setGlobalPropagator(new W3CTraceContextPropagator()),
    trace.setGlobalTracerProvider(tracerProvider),
    metrics.setGlobalMeterProvider(meterProvider),
  ];
  // The API keeps the first registration: a left-over one (a suite that did not stop() it) would silently get
  // every span and metric, and this suite's assertions would fail far from the cause.
  if (registered.includes(false)) {
    contextManager.disable();
    throw new Error('an OpenTelemetry registration is left from before: stop() the previous SDK first');
  }
  return {
    spans: () => exporter.getFinishedSpans(),
    async metrics() {
      const { resourceMetrics } = await reader.collect();
      const byName = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      return byName;
    },
    async stop() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** The sum of a counter's data points (all attribute sets), or of a histogram's counts. */
export function total(metric: MetricData | undefined): number {
  let sum = 0;
  for (const point of (metric?.dataPoints ?? []) as DataPoint<number | Histogram>[]) {
    sum += typeof point.value === 'number' ? point.value : point.value.count;
  }
  return sum;
}
