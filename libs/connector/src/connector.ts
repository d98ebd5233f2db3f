import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  checkpointingOf,
  Consumer,
  defaultLogger,
  errorForLog,
  type CheckpointStore,
  type ConsumerOptions,
  KinesisError,
  type Logger,
} from '../../kinesis/src/index.js';
import type {
  BufferFactory,
  BufferLimits,
  DeadLetterSink,
  Emitter,
  Filter,
  Transformer,
} from './interfaces.js';
import type { PipelineObserver } from './pipeline-observer.js';
import { PIPELINE_DEFAULTS, type PipelineOptions } from './pipeline-options.js';
import { PipelineProcessor } from './pipeline-processor.js';
import { RecordBuffer } from './record-buffer.js';
import { AllPassFilter } from './transformers.js';

export interface ConnectorOptions<T> {
  client: KinesisClient;
  streamName: string;
  /** Where each shard's progress is kept. Exactly one of this or `consumer.leases` (which hold the checkpoints). */
  checkpointStore?: CheckpointStore;
  transformer: Transformer<T>;
  emitter: Emitter<T>;
  deadLetter: DeadLetterSink;
  filter?: Filter<T>;
  /** A buffer per shard; default RecordBuffer with `bufferLimits`. */
  bufferFactory?: BufferFactory<T>;
  bufferLimits?: BufferLimits;
  observer?: PipelineObserver;
  logger?: Logger;
  /**
   * Passed to the core Consumer (start position, poll interval, ...). `leases` shares the stream's shards with
   * the other connectors of the same lease table (each reads only the shards it leases); then no `checkpointStore`.
   */
  consumer?: Partial<
    Omit<ConsumerOptions, 'client' | 'streamName' | 'processorFactory' | 'checkpointStore' | 'logger'>
  >;
  pipeline?: Pick<
    PipelineOptions<T>,
    'emitAttempts' | 'backoff' | 'ageCheckIntervalMs' | 'shutdownTimeoutMs'
  >;
}

/** The connector was given both a checkpoint store and leases, or neither. */
export class InvalidConnectorOptionsError extends KinesisError {}

/** A stream drained through transformer, filter, buffer and emitter, one pipeline per shard. */
export class Connector<T> {
  readonly consumer: Consumer;

  constructor(private readonly o: ConnectorOptions<T>) {
    // Exactly one place for checkpoints: a checkpoint store, or the lease table of `consumer.leases`.
    checkpointingOf(
      { checkpointStore: o.checkpointStore, leases: o.consumer?.leases },
      {
        required: true,
        subject: 'connector options',
        leasesOption: 'consumer.leases',
        error: InvalidConnectorOptionsError,
      },
    );
    const logger = o.logger ?? defaultLogger;
    const bufferFactory = o.bufferFactory ?? (() => new RecordBuffer<T>(o.bufferLimits));
    this.consumer = new Consumer({
      ...o.consumer,
      client: o.client,
      streamName: o.streamName,
      checkpointStore: o.checkpointStore,
      logger,
      processorFactory: () =>
        new PipelineProcessor<T>({
          ...o.pipeline,
          streamName: o.streamName,
          transformer: o.transformer,
          filter: o.filter ?? new AllPassFilter<T>(),
          bufferFactory,
          emitter: o.emitter,
          deadLetter: o.deadLetter,
          logger,
          observer: o.observer,
        }),
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  /**
   * Stops reading, flushes and checkpoints every shard, then shuts the emitter and sink down. Each shard's
   * last write is bounded by `pipeline.shutdownTimeoutMs` (default 10 s), and so is each shutdown() here:
   * what was not stored by then stays uncheckpointed and is re-read after a restart.
   */
  async stop(): Promise<void> {
    await this.consumer.stop();
    const timeoutMs = this.o.pipeline?.shutdownTimeoutMs ?? PIPELINE_DEFAULTS.shutdownTimeoutMs;
    const failures = [
      await settleWithin(this.o.emitter.shutdown(), timeoutMs, 'emitter shutdown', this.logger),
      await settleWithin(this.o.deadLetter.shutdown?.(), timeoutMs, 'dead-letter sink shutdown', this.logger),
    ].filter((f) => f !== undefined);
    if (failures.length > 0) throw failures[0].error; // after both had their chance
  }

  private get logger(): Logger {
    return this.o.logger ?? defaultLogger;
  }
}

/** Waits for `work` at most `timeoutMs` (a timeout is logged); returns its failure instead of throwing it. */
async function settleWithin(
  work: Promise<void> | undefined,
  timeoutMs: number,
  what: string,
  logger: Logger,
): Promise<{ error: unknown } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>(
    (resolve) => (timer = setTimeout(() => resolve('expired'), timeoutMs)),
  );
  try {
    const outcome = await Promise.race([Promise.resolve(work).then(() => 'done' as const), expired]);
    if (outcome === 'expired') logger.warn(`${what} did not finish within ${timeoutMs} ms; stopping anyway`);
    return undefined;
  } catch (error) {
    logger.warn(`${what} failed`, { error: errorForLog(error) });
    return { error };
  } finally {
    clearTimeout(timer);
  }
}
