/**
 * The default pipeline parts, built from the options. Each is a factory provider under its token, so
 * ConnectorModule.forRoot({ ..., parts: { emitter: MyEmitter } }) or overrideProvider(EMITTER) replaces it, and a
 * replaced default is never built (no bucket or table is created, no driver loaded, for a part that is not used).
 * The parts that need an optional driver (S3, Postgres, Redis) load it when chosen, and fail at start, naming
 * the package, when it is missing.
 */
import type { FactoryProvider } from '@nestjs/common';
import {
  DynamoDBCheckpointStore,
  ensureStream,
  MemoryCheckpointStore,
  Producer,
  type CheckpointStore,
  type LeaseOptions,
} from '../../../kinesis/src/index.js';
import { loadPeer } from '../../../kinesis/src/peer.js';
import { RedisCheckpointStore } from '../../../kinesis/src/checkpoint/redis-store.js';
import { FileDeadLetterSink } from '../dead-letter/file-sink.js';
import { KinesisDeadLetterSink } from '../dead-letter/kinesis-sink.js';
import { DynamoDBEmitter } from '../emitters/dynamodb-emitter.js';
import { ensureProvenanceTable } from '../emitters/dynamodb-table.js';
import { KinesisEmitter } from '../emitters/kinesis-emitter.js';
import type { BufferFactory, DeadLetterSink, Emitter } from '../interfaces.js';
import { RecordBuffer } from '../record-buffer.js';
import { AllPassFilter, JsonTransformer, StringTransformer } from '../transformers.js';
import { ensureBucket, pgPoolOf, s3ClientOf } from './driver-clients.js';
import type { ResolvedConnectorOptions } from './options.js';
import { ConnectorResources, coreLogger } from './resources.js';
import {
  BUFFER_FACTORY,
  CHECKPOINT_STORE,
  CONNECTOR_OPTIONS,
  DEAD_LETTER_SINK,
  EMITTER,
  FILTER,
  TRANSFORMER,
} from './tokens.js';

const deps = [CONNECTOR_OPTIONS, ConnectorResources];

export async function createEmitter(
  options: ResolvedConnectorOptions,
  resources: ConnectorResources,
): Promise<Emitter<unknown>> {
  switch (options.emitter) {
    case 's3': {
      await ensureBucket(resources, options.s3Bucket!);
      const { S3Emitter } = await import('../emitters/s3-emitter.js');
      return new S3Emitter({
        client: await s3ClientOf(resources),
        bucket: options.s3Bucket!,
        prefix: options.s3Prefix,
        gzip: options.s3Gzip,
      });
    }
    case 'postgres': {
      const pool = await pgPoolOf(resources);
      const { createJsonTable, jsonColumns, PostgresEmitter } =
        await import('../emitters/postgres-emitter.js');
      await createJsonTable(pool, options.pgTable);
      return new PostgresEmitter({
        pool,
        table: options.pgTable,
        columns: jsonColumns,
        // As the pool's client-side timeout: Postgres cancels at pgStatementTimeoutMs, this is the backstop.
        queryTimeoutMs: options.pgStatementTimeoutMs + 1_000,
      });
    }
    case 'dynamodb':
      await ensureProvenanceTable(resources.dynamodb, options.dynamodbTable!);
      // Items keyed by provenanceKey (the default toItem): a replayed batch overwrites its items.
      return new DynamoDBEmitter({ client: resources.dynamodb, table: options.dynamodbTable! });
    case 'kinesis':
      if (options.createStream) {
        await ensureStream(resources.kinesis, options.targetStream!, { shardCount: options.createStream });
      }
      return new KinesisEmitter({
        producer: new Producer({
          client: resources.kinesis,
          streamName: options.targetStream!,
          logger: coreLogger('KinesisEmitter'),
        }),
      });
  }
}

export async function createDeadLetterSink(
  options: ResolvedConnectorOptions,
  resources: ConnectorResources,
): Promise<DeadLetterSink> {
  switch (options.deadLetter) {
    case 'file':
      return new FileDeadLetterSink(options.deadLetterPath);
    case 's3': {
      await ensureBucket(resources, options.s3Bucket!);
      const { S3DeadLetterSink } = await import('../dead-letter/s3-sink.js');
      return new S3DeadLetterSink(await s3ClientOf(resources), options.s3Bucket!, options.deadLetterPrefix);
    }
    case 'kinesis':
      if (options.createStream) {
        await ensureStream(resources.kinesis, options.deadLetterStream!, { shardCount: 1 });
      }
      return new KinesisDeadLetterSink(
        new Producer({
          client: resources.kinesis,
          streamName: options.deadLetterStream!,
          logger: coreLogger('DeadLetterSink'),
        }),
      );
  }
}

/** undefined with checkpointStore 'leases': the leases hold the checkpoints (see createLeaseOptions). */
export async function createCheckpointStore(
  options: ResolvedConnectorOptions,
  resources: ConnectorResources,
): Promise<CheckpointStore | undefined> {
  switch (options.checkpointStore) {
    case 'memory':
      return new MemoryCheckpointStore();
    case 'redis': {
      await loadPeer('ioredis', "the connector's Redis checkpoint store"); // missing: fail at start
      const store = new RedisCheckpointStore({ url: options.redisUrl!, appName: options.appName });
      resources.own('redis checkpoint store', () => store.close());
      return store;
    }
    case 'dynamodb':
      return new DynamoDBCheckpointStore({ client: resources.dynamodb, appName: options.appName });
    case 'leases':
      return undefined;
  }
}

/**
 * The Consumer's `leases` with checkpointStore 'leases' (else undefined): the lease table `<appName>-<stream>`
 * at dynamodbEndpoint, shared by every connector of the same appName on the stream.
 */
export function createLeaseOptions(
  options: ResolvedConnectorOptions,
  resources: ConnectorResources,
): LeaseOptions | undefined {
  if (!options.leases) return undefined;
  return {
    dynamoClient: resources.dynamodb,
    appName: options.appName,
    workerId: options.leases.workerId,
    failoverTimeMs: options.leases.failoverTimeMs,
  };
}

export type PartName =
  'transformer' | 'filter' | 'bufferFactory' | 'emitter' | 'deadLetter' | 'checkpointStore';

/** The default providers, one per token. */
export const defaultParts: Record<PartName, FactoryProvider> = {
  transformer: {
    provide: TRANSFORMER,
    inject: [CONNECTOR_OPTIONS],
    useFactory: (options: ResolvedConnectorOptions) =>
      options.transformer === 'string' ? new StringTransformer() : new JsonTransformer(),
  },
  filter: { provide: FILTER, useFactory: () => new AllPassFilter() },
  bufferFactory: {
    provide: BUFFER_FACTORY,
    inject: [CONNECTOR_OPTIONS],
    useFactory: (options: ResolvedConnectorOptions): BufferFactory<unknown> => {
      new RecordBuffer(options.buffer); // fails at start, not at the first record, on bad limits
      return () => new RecordBuffer(options.buffer);
    },
  },
  emitter: { provide: EMITTER, inject: deps, useFactory: createEmitter },
  deadLetter: { provide: DEAD_LETTER_SINK, inject: deps, useFactory: createDeadLetterSink },
  checkpointStore: { provide: CHECKPOINT_STORE, inject: deps, useFactory: createCheckpointStore },
};
