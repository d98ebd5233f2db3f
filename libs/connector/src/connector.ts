import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Consumer,
  defaultLogger,
  type CheckpointStore,
  type ConsumerOptions,
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
import { PipelineProcessor, type PipelineOptions } from './pipeline-processor.js';
import { RecordBuffer } from './record-buffer.js';
import { AllPassFilter } from './transformers.js';

export interface ConnectorOptions<T> {
  client: KinesisClient;
  streamName: string;
  checkpointStore: CheckpointStore;
  transformer: Transformer<T>;
  emitter: Emitter<T>;
  deadLetter: DeadLetterSink;
  filter?: Filter<T>;
  /** A buffer per shard; default RecordBuffer with `bufferLimits`. */
  bufferFactory?: BufferFactory<T>;
  bufferLimits?: BufferLimits;
  observer?: PipelineObserver;
  logger?: Logger;
  /** Passed to the core Consumer (start position, poll interval, ...). */
  consumer?: Partial<
    Omit<ConsumerOptions, 'client' | 'streamName' | 'processorFactory' | 'checkpointStore' | 'logger'>
  >;
  pipeline?: Pick<
    PipelineOptions<T>,
    'emitAttempts' | 'backoff' | 'ageCheckIntervalMs' | 'shutdownTimeoutMs'
  >;
}

/** A stream drained through transformer, filter, buffer and emitter, one pipeline per shard. */
export class Connector<T> {
  readonly consumer: Consumer;

  constructor(private readonly o: ConnectorOptions<T>) {
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

  /** Stops reading, flushes and checkpoints every shard, then shuts the emitter and sink down. */
  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.o.emitter.shutdown();
    await this.o.deadLetter.shutdown?.();
  }
}
