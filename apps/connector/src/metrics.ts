/**
 * Prometheus metrics of the pipeline. One registry per app instance (not prom-client's global one), so
 * several apps in one process (tests) do not collide on metric names.
 */
import { Controller, Get, Header, Inject, Injectable, Module } from '@nestjs/common';
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

@Controller()
export class MetricsController {
  constructor(@Inject(ConnectorMetrics) private readonly metrics: ConnectorMetrics) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

/** One ConnectorMetrics per app: observed by the connector (PIPELINE_OBSERVERS), scraped by MetricsController. */
@Module({ providers: [ConnectorMetrics], exports: [ConnectorMetrics] })
export class MetricsModule {}
