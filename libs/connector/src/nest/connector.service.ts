/**
 * Runs the Connector built from the injected parts: starts it on application bootstrap, stops it (stop reading,
 * flush, checkpoint) before shutdown, and logs a status line every statusIntervalMs.
 */
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ensureStream, type CheckpointStore, type ConsumerHealth } from '../../../kinesis/src/index.js';
import { Connector } from '../connector.js';
import type { BufferFactory, DeadLetterSink, Emitter, Filter, Transformer } from '../interfaces.js';
import { combineObservers, PipelineCounters, type PipelineObserver } from '../pipeline-observer.js';
import { redactCredentials, redactUrl } from '../redact.js';
import {
  ShardHealth,
  watchBuffers,
  watchDeadLetter,
  watchEmitter,
  type ShardProblem,
} from '../shard-health.js';
import type { ResolvedConnectorOptions } from './options.js';
import { createLeaseOptions } from './parts.js';
import { ConnectorResources, coreLogger } from './resources.js';
import {
  BUFFER_FACTORY,
  CHECKPOINT_STORE,
  CONNECTOR_OPTIONS,
  DEAD_LETTER_SINK,
  EMITTER,
  FILTER,
  PIPELINE_OBSERVERS,
  TRANSFORMER,
} from './tokens.js';

export type ConnectorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ConnectorHealth {
  state: ConnectorState;
  stream: string;
  activeShards: string[];
  /** Shards that stalled, do not checkpoint, lag or lost their lease (see shard-health.ts): unhealthy. */
  problems: ShardProblem[];
  lastError?: string;
  /** The consumer's read state per shard (lag, throttle streak) and lease share (Consumer.health()). */
  consumer?: ConsumerHealth;
}

/** At shutdown, the part of shutdownGraceMs kept for closing the clients after the connector stopped. */
const CLOSE_RESERVE_MS = 2_000;

/** The part of shutdownGraceMs the connector's stop may take (the rest closes the clients). */
export function stopBudgetOf(graceMs: number): number {
  return graceMs - Math.min(CLOSE_RESERVE_MS, graceMs / 4);
}

@Injectable()
export class ConnectorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly counters = new PipelineCounters();
  readonly shardHealth: ShardHealth;
  private readonly logger = new Logger('Connector');
  private connector?: Connector<unknown>;
  private state: ConnectorState = 'idle';
  private lastError?: string;
  private statusTimer?: NodeJS.Timeout;
  private lastStatus = { at: Date.now(), read: 0 };

  constructor(
    @Inject(CONNECTOR_OPTIONS) private readonly config: ResolvedConnectorOptions,
    @Inject(ConnectorResources) private readonly resources: ConnectorResources,
    @Inject(TRANSFORMER) private readonly transformer: Transformer<unknown>,
    @Inject(FILTER) private readonly filter: Filter<unknown>,
    @Inject(BUFFER_FACTORY) private readonly bufferFactory: BufferFactory<unknown>,
    @Inject(EMITTER) private readonly emitter: Emitter<unknown>,
    @Inject(DEAD_LETTER_SINK) private readonly deadLetter: DeadLetterSink,
    @Inject(CHECKPOINT_STORE) private readonly checkpointStore: CheckpointStore | undefined,
    @Optional() @Inject(PIPELINE_OBSERVERS) private readonly observers: PipelineObserver[] = [],
  ) {
    this.shardHealth = new ShardHealth(config.health);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { config } = this;
    this.state = 'starting';
    try {
      const client = this.resources.kinesis;
      if (config.createStream) {
        const { created } = await ensureStream(client, config.stream, { shardCount: config.createStream });
        if (created) this.logger.log(`created stream ${config.stream} (${config.createStream} shards)`);
      }
      const stopBudget = stopBudgetOf(config.shutdownGraceMs);
      this.connector = new Connector<unknown>({
        client,
        streamName: config.stream,
        checkpointStore: this.checkpointStore,
        transformer: this.transformer,
        filter: this.filter,
        bufferFactory: watchBuffers(this.bufferFactory, this.shardHealth),
        emitter: watchEmitter(this.emitter, this.shardHealth),
        deadLetter: watchDeadLetter(this.deadLetter, this.shardHealth),
        observer: combineObservers(this.counters, ...(this.observers ?? []), this.shardHealth),
        logger: coreLogger('Connector'),
        consumer: {
          leases: createLeaseOptions(config, this.resources), // checkpointStore 'leases'
          startPosition: { type: config.startPosition },
          pollIntervalMs: config.pollIntervalMs,
          // Empty polls still report millisBehindLatest, so the lag gauge falls back to 0 on a quiet stream.
          callProcessRecordsEvenForEmptyRecordList: true,
          // Readers still stopping then are abandoned, uncheckpointed; the leases are released (up to 5 s more).
          stopTimeoutMs: Math.round(stopBudget * 0.6),
        },
        // How long a final flush waits for an unavailable destination before leaving it uncheckpointed.
        pipeline: { shutdownTimeoutMs: Math.round(stopBudget * 0.5) },
      });
      // Without a listener an 'error' event would crash the process; the consumer keeps reading after it.
      const consumer = this.connector.consumer;
      consumer.on('error', (error, shardId) => {
        const message = redactCredentials((error as Error)?.message ?? String(error));
        this.lastError = `${shardId ?? 'consumer'}: ${message}`;
        this.logger.error({ msg: 'connector error', shardId, err: message });
      });
      consumer.on('shardStarted', (shardId) => this.shardHealth.shardStarted(shardId));
      consumer.on('leaseTaken', (shardId) => this.shardHealth.leaseTaken(shardId));
      consumer.on('leaseLost', (shardId, reason) => this.shardHealth.leaseLost(shardId, reason));
      await this.connector.start();
      this.state = 'running';
    } catch (error) {
      this.state = 'failed';
      this.lastError = redactCredentials((error as Error).message);
      throw error;
    }
    this.lastStatus = { at: Date.now(), read: this.counters.recordsRead };
    if (config.statusIntervalMs > 0) {
      this.statusTimer = setInterval(() => this.logStatus(), config.statusIntervalMs);
      this.statusTimer.unref();
    }
    this.logger.log(`connector started: stream ${config.stream}, ${describeParts(config)}`);
  }

  /**
   * Before the HTTP server and the clients close: the final flush and checkpoint still need them. Bounded by
   * shutdownGraceMs whatever the emitter does: what is not written by then stays uncheckpointed (read again
   * after a restart), and the leases of shards still stopping are not released: they expire after
   * the lease failover time once the process has exited.
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.statusTimer);
    const grace = this.config.shutdownGraceMs;
    this.resources.closeBy(Date.now() + grace);
    if (!this.connector || this.state === 'stopped') return;
    this.state = 'stopping';
    this.logger.log('stopping connector: flushing buffers and checkpointing');
    const stopBudget = stopBudgetOf(grace);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), stopBudget)));
    try {
      const outcome = await Promise.race([this.connector.stop(), late]);
      if (outcome === 'late') {
        this.state = 'failed';
        this.lastError = `not stopped within shutdownGraceMs (${grace} ms)`;
        this.logStatus();
        this.logger.warn(
          `connector not stopped within the grace period (${stopBudget} ms of shutdownGraceMs ${grace}): ` +
            'unwritten records stay uncheckpointed and are read again after a restart; ' +
            'leases still held expire after the lease failover time',
        );
        return;
      }
      this.state = 'stopped';
      this.logStatus();
      this.logger.log('connector stopped');
    } catch (error) {
      this.state = 'failed';
      this.lastError = redactCredentials((error as Error).message);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  health(): ConnectorHealth {
    const activeShards = this.connector?.consumer.activeShardIds() ?? [];
    const consumer = this.connector?.consumer.health();
    return {
      state: this.state,
      stream: this.config.stream,
      activeShards,
      problems: this.state === 'running' ? this.shardHealth.problems(activeShards) : [],
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(consumer ? { consumer } : {}),
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
      empty: c.emptyCount,
      deadLettered: c.deadLetteredCount,
      emitFailures: c.emitFailures,
      lagMs,
      lastCheckpoint,
    });
  }
}

/** Where the parts write, for the start line: URLs without their credentials. */
function describeParts(c: ResolvedConnectorOptions): string {
  const emitter = {
    s3: `s3://${c.s3Bucket}/${c.s3Prefix}`,
    postgres: `${redactUrl(c.databaseUrl)} table ${c.pgTable}`,
    dynamodb: `table ${c.dynamodbTable}`,
    kinesis: `stream ${c.targetStream}`,
  }[c.emitter];
  const checkpoints = c.checkpointStore === 'redis' ? ` at ${redactUrl(c.redisUrl)}` : '';
  return `emitter ${c.emitter} (${emitter}), checkpoints ${c.checkpointStore}${checkpoints}`;
}
