/**
 * Runs the Connector built from the injected parts: starts it on application bootstrap, stops it (stop reading,
 * flush, checkpoint) before shutdown, and logs a status line every STATUS_INTERVAL_MS.
 */
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  BUFFER_FACTORY,
  CHECKPOINT_STORE,
  Connector,
  DEAD_LETTER_SINK,
  EMITTER,
  FILTER,
  PipelineCounters,
  TRANSFORMER,
  type BufferFactory,
  type DeadLetterSink,
  type Emitter,
  type Filter,
  type PipelineObserver,
  type Transformer,
} from '../../../libs/connector/src/index.js';
import { ensureStream, type CheckpointStore } from '../../../libs/kinesis/src/index.js';
import { CONNECTOR_CONFIG, type ConnectorConfig } from './config.js';
import { ConnectorMetrics } from './metrics.js';
import { createLeaseOptions } from './parts.js';
import { ConnectorResources, coreLogger } from './resources.js';

export type ConnectorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ConnectorHealth {
  state: ConnectorState;
  stream: string;
  activeShards: string[];
  lastError?: string;
}

@Injectable()
export class ConnectorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly counters = new PipelineCounters();
  private readonly logger = new Logger('Connector');
  private connector?: Connector<unknown>;
  private state: ConnectorState = 'idle';
  private lastError?: string;
  private statusTimer?: NodeJS.Timeout;
  private lastStatus = { at: Date.now(), read: 0 };

  constructor(
    @Inject(CONNECTOR_CONFIG) private readonly config: ConnectorConfig,
    @Inject(ConnectorResources) private readonly resources: ConnectorResources,
    @Inject(ConnectorMetrics) private readonly metrics: ConnectorMetrics,
    @Inject(TRANSFORMER) private readonly transformer: Transformer<unknown>,
    @Inject(FILTER) private readonly filter: Filter<unknown>,
    @Inject(BUFFER_FACTORY) private readonly bufferFactory: BufferFactory<unknown>,
    @Inject(EMITTER) private readonly emitter: Emitter<unknown>,
    @Inject(DEAD_LETTER_SINK) private readonly deadLetter: DeadLetterSink,
    @Inject(CHECKPOINT_STORE) private readonly checkpointStore: CheckpointStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { config } = this;
    this.state = 'starting';
    try {
      const client = this.resources.kinesis;
      if (config.createStream) {
        const { created } = await ensureStream(client, config.stream, { shardCount: config.createStream });
        if (created) this.logger.log(`created stream ${config.stream} (${config.createStream} shards)`);
      }
      this.connector = new Connector<unknown>({
        client,
        streamName: config.stream,
        checkpointStore: this.checkpointStore,
        transformer: this.transformer,
        filter: this.filter,
        bufferFactory: this.bufferFactory,
        emitter: this.emitter,
        deadLetter: this.deadLetter,
        observer: fanOut(this.counters, this.metrics),
        logger: coreLogger('Connector'),
        consumer: {
          leases: createLeaseOptions(config, this.resources), // CHECKPOINT_STORE=leases
          startPosition: { type: config.startPosition },
          pollIntervalMs: config.pollIntervalMs,
          // Empty polls still report millisBehindLatest, so the lag gauge falls back to 0 on a quiet stream.
          callProcessRecordsEvenForEmptyRecordList: true,
        },
      });
      // Without a listener an 'error' event would crash the process; the consumer keeps reading after it.
      this.connector.consumer.on('error', (error, shardId) => {
        this.lastError = `${shardId ?? 'consumer'}: ${(error as Error)?.message ?? String(error)}`;
        this.logger.error({ msg: 'connector error', shardId, err: (error as Error)?.message });
      });
      await this.connector.start();
      this.state = 'running';
    } catch (error) {
      this.state = 'failed';
      this.lastError = (error as Error).message;
      throw error;
    }
    this.lastStatus = { at: Date.now(), read: this.counters.recordsRead };
    if (config.statusIntervalMs > 0) {
      this.statusTimer = setInterval(() => this.logStatus(), config.statusIntervalMs);
      this.statusTimer.unref();
    }
    this.logger.log(
      `connector started: stream ${config.stream}, emitter ${config.emitter}, checkpoints ${config.checkpointStore}`,
    );
  }

  /** Before the HTTP server and the clients close: the final flush and checkpoint still need them. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.statusTimer);
    if (!this.connector || this.state === 'stopped') return;
    this.state = 'stopping';
    this.logger.log('stopping connector: flushing buffers and checkpointing');
    try {
      await this.connector.stop();
      this.state = 'stopped';
      this.logStatus();
      this.logger.log('connector stopped');
    } catch (error) {
      this.state = 'failed';
      this.lastError = (error as Error).message;
      throw error;
    }
  }

  health(): ConnectorHealth {
    return {
      state: this.state,
      stream: this.config.stream,
      activeShards: this.connector?.consumer.activeShardIds() ?? [],
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  /** Counts and positions only: never record data. */
  logStatus(): void {
    const c = this.counters;
    const now = Date.now();
    const seconds = Math.max((now - this.lastStatus.at) / 1000, 0.001);
    const recordsPerSec = Math.round(((c.recordsRead - this.lastStatus.read) / seconds) * 10) / 10;
    this.lastStatus = { at: now, read: c.recordsRead };
    const lagMs = Object.fromEntries(c.lagMs);
    const lastCheckpoint = Object.fromEntries(c.lastCheckpoint);
    const lag = [...c.lagMs].map(([shard, ms]) => `${shard}=${ms ?? '?'}ms`).join(' ') || 'none';
    this.logger.log({
      msg: `status: ${recordsPerSec} records/s, emitted ${c.emittedCount}, dead-lettered ${c.deadLetteredCount}, lag ${lag}`,
      recordsPerSec,
      recordsRead: c.recordsRead,
      emitted: c.emittedCount,
      filtered: c.filteredCount,
      deadLettered: c.deadLetteredCount,
      emitFailures: c.emitFailures,
      lagMs,
      lastCheckpoint,
    });
  }
}

/** One observer that forwards every event to several (counters for the status line, Prometheus). */
function fanOut(...observers: PipelineObserver[]): PipelineObserver {
  return {
    recordsIn: (...a) => observers.forEach((o) => o.recordsIn?.(...a)),
    emitted: (...a) => observers.forEach((o) => o.emitted?.(...a)),
    filtered: (...a) => observers.forEach((o) => o.filtered?.(...a)),
    deadLettered: (...a) => observers.forEach((o) => o.deadLettered?.(...a)),
    checkpointed: (...a) => observers.forEach((o) => o.checkpointed?.(...a)),
    emitFailed: (...a) => observers.forEach((o) => o.emitFailed?.(...a)),
  };
}
