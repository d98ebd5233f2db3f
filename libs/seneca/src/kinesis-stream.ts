import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Consumer,
  ensureStream,
  PollingHashKeyReader,
  ProducerClosedError,
  type CheckpointStore,
  type ConsumerOptions,
  type KinesisRecord,
  type LeaseOptions,
  type Logger,
  type PollingHashKeyReaderOptions,
  type Producer,
  type ProducerOptions,
  type RecordProcessorFactory,
  type StartPosition,
} from '../../kinesis/src/index.js';

/** What the Stream facade needs of a producer: the core Producer, or anything shaped like it. */
export type ProducerLike = Pick<Producer, 'put' | 'flush' | 'close'>;
export type ProducerFactory = (options: ProducerOptions) => ProducerLike;

/** The plugin's options a stream reads (resolved: the plugin's options satisfy it). */
export interface KinesisStreamSettings {
  createStreams: boolean;
  shards: number;
  lingerMs: number;
  createProducer: ProducerFactory;
}

export interface KinesisStreamDeps {
  client: KinesisClient;
  options: KinesisStreamSettings;
  logger: Logger;
}

export type KinesisStreamClass = new (name: string, deps: KinesisStreamDeps) => KinesisStream;

export interface ConsumeOptions {
  processorFactory: RecordProcessorFactory;
  startPosition: StartPosition;
  checkpointStore?: CheckpointStore;
  /** Share the shards with the other listeners of the lease table (instead of a checkpoint store). */
  leases?: LeaseOptions;
  pollIntervalMs: number;
  /** How long stopping waits for the shards' processors (their grace period and last checkpoint), ms. */
  stopTimeoutMs?: number;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One Kinesis stream as the plugin uses it: puts go through a (lazily created) producer, a listener reads every
 * shard with a core Consumer, a client reads the one shard its replies land on. Subclass it and pass it as the
 * `Stream` option to change any of the three (the `create*` methods are the seams).
 */
export class KinesisStream {
  private producer: ProducerLike | undefined;
  private created: Promise<void> | undefined;
  private readonly consumers = new Set<Consumer>();
  private readonly readers = new Set<PollingHashKeyReader>();
  private closed = false;

  constructor(
    readonly name: string,
    protected readonly deps: KinesisStreamDeps,
  ) {}

  /** Creates the stream when `createStreams` is on (once per instance); else a missing stream fails its first use. */
  ensure(): Promise<void> {
    if (!this.deps.options.createStreams) return Promise.resolve();
    this.created ??= ensureStream(this.deps.client, this.name, { shardCount: this.deps.options.shards }).then(
      () => undefined,
      (error: unknown) => {
        this.created = undefined; // the next use tries again
        throw error;
      },
    );
    return this.created;
  }

  /** Resolves once Kinesis stored the record. */
  async put(partitionKey: string, data: Buffer): Promise<void> {
    if (this.closed) throw new ProducerClosedError();
    await this.ensure();
    this.producer ??= this.createProducer();
    await this.producer.put({ data, partitionKey });
  }

  /** Reads every shard of the stream; resolves once the consumer has listed the shards and started. */
  async consume(options: ConsumeOptions): Promise<Consumer> {
    await this.ensure();
    const consumer = this.createConsumer({
      client: this.deps.client,
      streamName: this.name,
      processorFactory: options.processorFactory,
      startPosition: options.startPosition,
      checkpointStore: options.checkpointStore,
      leases: options.leases,
      pollIntervalMs: options.pollIntervalMs,
      stopTimeoutMs: options.stopTimeoutMs,
      // Empty polls reach the processor too: the listener learns when each shard's iterator is held.
      callProcessRecordsEvenForEmptyRecordList: true,
      logger: this.deps.logger,
    });
    consumer.on('error', (error, shardId) =>
      this.deps.logger.error('consumer error', { stream: this.name, shardId, error: message(error) }),
    );
    this.consumers.add(consumer);
    await consumer.start();
    return consumer;
  }

  /** Reads the one shard covering `hashKey` from LATEST; resolves once its iterator is held. */
  async readShard(
    hashKey: bigint,
    onRecords: (records: KinesisRecord[]) => void,
    pollIntervalMs: number,
  ): Promise<PollingHashKeyReader> {
    await this.ensure();
    const reader = this.createShardReader({
      client: this.deps.client,
      streamName: this.name,
      hashKey,
      pollIntervalMs,
      logger: this.deps.logger,
      onRecords,
      onThrottled: () => this.deps.logger.warn('reply shard read throttled', { stream: this.name }),
      onError: (error) =>
        this.deps.logger.error('reply shard read failed', { stream: this.name, error: message(error) }),
    });
    await reader.start();
    this.readers.add(reader);
    return reader;
  }

  /** Stops the consumers and shard readers; puts still work. */
  async stopReading(): Promise<void> {
    const consumers = [...this.consumers];
    const readers = [...this.readers];
    this.consumers.clear();
    this.readers.clear();
    await Promise.all([...consumers.map((c) => c.stop()), ...readers.map((r) => r.stop())]);
  }

  /** Stops reading, then flushes and closes the producer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopReading();
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close();
  }

  protected createProducer(): ProducerLike {
    return this.deps.options.createProducer({
      client: this.deps.client,
      streamName: this.name,
      lingerMs: this.deps.options.lingerMs,
      logger: this.deps.logger,
    });
  }

  protected createConsumer(options: ConsumerOptions): Consumer {
    return new Consumer(options);
  }

  protected createShardReader(options: PollingHashKeyReaderOptions): PollingHashKeyReader {
    return new PollingHashKeyReader(options);
  }
}
