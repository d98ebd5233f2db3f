/**
 * Prometheus metrics of the pipeline. One registry per app instance (not prom-client's global one), so
 * several apps in one process (tests) do not collide on metric names. The library's OpenTelemetry instruments
 * (records and bytes read, lag per shard, emit duration, ...: README, Traces and metrics) are served on the same
 * /metrics, through OpenTelemetry's Prometheus exporter (OtelMetrics): one source, their own names.
 */
import {
  Controller,
  Get,
  Header,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PipelineObserver } from '../../../libs/connector/src/pipeline-observer.js';

@Injectable()
export class ConnectorMetrics implements PipelineObserver {
  readonly registry = new Registry();
  private readonly read = this.counter('records_read_total', 'Records read from the source stream');
  private readonly emittedTotal = this.counter('records_emitted_total', 'Records written by the emitter');
  private readonly deadLetteredTotal = this.counter(
    'records_dead_lettered_total',
    'Records written to the dead-letter sink',
  );
  private readonly filteredTotal = this.counter('records_filtered_total', 'Models the filter dropped');
  private readonly emptyTotal = this.counter(
    'records_empty_total',
    'Records that carried no model (e.g. a JSON []): nothing to write, checkpointed past',
  );
  private readonly emitFailures = this.counter('emit_failures_total', 'Emit attempts that failed (retried)');
  private readonly lag = new Gauge({
    name: 'lag_ms',
    help: 'millisBehindLatest of the last GetRecords, per shard',
    labelNames: ['shard'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  recordsIn(shardId: string, count: number, millisBehindLatest: number | undefined): void {
    this.read.inc(count);
    if (millisBehindLatest !== undefined) this.lag.set({ shard: shardId }, millisBehindLatest);
  }
  emitted(_shardId: string, count: number): void {
    this.emittedTotal.inc(count);
  }
  filtered(_shardId: string, count: number): void {
    this.filteredTotal.inc(count);
  }
  empty(_shardId: string, count: number): void {
    this.emptyTotal.inc(count);
  }
  deadLettered(_shardId: string, count: number): void {
    this.deadLetteredTotal.inc(count);
  }
  emitFailed(): void {
    this.emitFailures.inc();
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }
}

/**
 * The OpenTelemetry meter provider of the app, registered as the global one (the library's instruments read it),
 * read by a Prometheus exporter that starts no server of its own: MetricsController serves it. When the process
 * already registered a meter provider (an app embedding this one), the instruments report there instead.
 * Registered at init, not when built: a bootstrap that fails while building the app's providers (Nest then calls no
 * shutdown hook) would otherwise leave it the global one, and the next app in the process would lose its own.
 */
@Injectable()
export class OtelMetrics implements OnModuleInit, OnApplicationShutdown {
  private readonly exporter = new PrometheusExporter({ preventServerStart: true });
  private readonly provider = new MeterProvider({ readers: [this.exporter] });
  private readonly serializer = new PrometheusSerializer();
  private registered = false;

  onModuleInit(): void {
    this.registered = metrics.setGlobalMeterProvider(this.provider);
  }

  /** The instruments in Prometheus text format ('' when another provider is the global one). */
  async scrape(): Promise<string> {
    if (!this.registered) return '';
    const { resourceMetrics } = await this.exporter.collect();
    return this.serializer.serialize(resourceMetrics);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.registered) metrics.disable(); // the next app in this process (tests) registers its own
    this.registered = false;
    await this.provider.shutdown();
  }
}

@Controller()
export class MetricsController {
  constructor(
    @Inject(ConnectorMetrics) private readonly metrics: ConnectorMetrics,
    @Inject(OtelMetrics) private readonly otel: OtelMetrics,
  ) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const [pipeline, instruments] = await Promise.all([this.metrics.registry.metrics(), this.otel.scrape()]);
    return `${pipeline}\n${instruments}`;
  }
}

/**
 * One ConnectorMetrics per app: observed by the connector (PIPELINE_OBSERVERS), scraped by MetricsController with
 * the OpenTelemetry instruments (OtelMetrics).
 */
@Module({ providers: [ConnectorMetrics, OtelMetrics], exports: [ConnectorMetrics, OtelMetrics] })
export class MetricsModule {}
