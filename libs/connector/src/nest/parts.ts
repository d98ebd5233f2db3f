/**
 * The default pipeline parts, built from the config. Each is a factory provider under its libs/connector token,
 * so ConnectorModule.forRoot({ emitter: MyEmitter }) or overrideProvider(EMITTER) replaces it, and a replaced
 * default is never built (no bucket or table is created for an emitter that is not used).
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { FactoryProvider } from '@nestjs/common';
import {
  AllPassFilter,
  BUFFER_FACTORY,
  CHECKPOINT_STORE,
  DEAD_LETTER_SINK,
  EMITTER,
  FileDeadLetterSink,
  FILTER,
  JsonTransformer,
  KinesisDeadLetterSink,
  provenanceKey,
  RecordBuffer,
  S3DeadLetterSink,
  StringTransformer,
  TRANSFORMER,
  type BufferFactory,
  type DeadLetterSink,
  type EmitBatch,
  type Emitter,
  type FailedItem,
} from '../../../libs/connector/src/index.js';
import { DynamoDBEmitter } from '../../../libs/connector/src/emitters/dynamodb-emitter.js';
import { KinesisEmitter } from '../../../libs/connector/src/emitters/kinesis-emitter.js';
import {
  createJsonTable,
  jsonColumns,
  PostgresEmitter,
} from '../../../libs/connector/src/emitters/postgres-emitter.js';
import { S3Emitter } from '../../../libs/connector/src/emitters/s3-emitter.js';
import {
  DynamoDBCheckpointStore,
  ensureStream,
  MemoryCheckpointStore,
  Producer,
  RedisCheckpointStore,
  sleep,
  type CheckpointStore,
  type LeaseOptions,
} from '../../../libs/kinesis/src/index.js';
import { CONNECTOR_CONFIG, type ConnectorConfig } from './config.js';
import { ConnectorResources, coreLogger } from './resources.js';

const deps = [CONNECTOR_CONFIG, ConnectorResources];

export async function createEmitter(
  config: ConnectorConfig,
  resources: ConnectorResources,
): Promise<Emitter<unknown>> {
  switch (config.emitter) {
    case 's3':
      await resources.ensureBucket(config.s3Bucket!);
      return new S3Emitter({
        client: resources.s3,
        bucket: config.s3Bucket!,
        prefix: config.s3Prefix,
        gzip: config.s3Gzip,
      });
    case 'postgres':
      await createJsonTable(resources.pg, config.pgTable);
      return new PostgresEmitter({
        pool: resources.pg,
        table: config.pgTable,
        columns: jsonColumns,
        // As the pool's client-side timeout: Postgres cancels at PG_STATEMENT_TIMEOUT_MS, this is the backstop.
        queryTimeoutMs: config.pgStatementTimeoutMs + 1_000,
      });
    case 'dynamodb':
      await ensureTable(resources.dynamodb, config.dynamodbTable!);
      return new ShardKeyedDynamoDBEmitter(resources.dynamodb, config.dynamodbTable!);
    case 'kinesis':
      if (config.createStream) {
        await ensureStream(resources.kinesis, config.targetStream!, { shardCount: config.createStream });
      }
      return new KinesisEmitter({
        producer: new Producer({
          client: resources.kinesis,
          streamName: config.targetStream!,
          logger: coreLogger('KinesisEmitter'),
        }),
      });
  }
}

export async function createDeadLetterSink(
  config: ConnectorConfig,
  resources: ConnectorResources,
): Promise<DeadLetterSink> {
  switch (config.deadLetter) {
    case 'file':
      return new FileDeadLetterSink(config.deadLetterPath);
    case 's3':
      await resources.ensureBucket(config.s3Bucket!);
      return new S3DeadLetterSink(resources.s3, config.s3Bucket!, config.deadLetterPrefix);
    case 'kinesis':
      if (config.createStream) {
        await ensureStream(resources.kinesis, config.deadLetterStream!, { shardCount: 1 });
      }
      return new KinesisDeadLetterSink(
        new Producer({
          client: resources.kinesis,
          streamName: config.deadLetterStream!,
          logger: coreLogger('DeadLetterSink'),
        }),
      );
  }
}

/** undefined with CHECKPOINT_STORE=leases: the leases hold the checkpoints (see createLeaseOptions). */
export function createCheckpointStore(
  config: ConnectorConfig,
  resources: ConnectorResources,
): CheckpointStore | undefined {
  switch (config.checkpointStore) {
    case 'memory':
      return new MemoryCheckpointStore();
    case 'redis': {
      const store = new RedisCheckpointStore({ url: config.redisUrl!, app: config.appName });
      resources.own('redis checkpoint store', () => store.close());
      return store;
    }
    case 'dynamodb':
      return new DynamoDBCheckpointStore({ client: resources.dynamodb, app: config.appName });
    case 'leases':
      return undefined;
  }
}

/**
 * The Consumer's `leases` with CHECKPOINT_STORE=leases (else undefined): the lease table `<app>-<stream>` at
 * DYNAMODB_ENDPOINT, shared by every connector of CONNECTOR_APP_NAME on the stream.
 */
export function createLeaseOptions(
  config: ConnectorConfig,
  resources: ConnectorResources,
): LeaseOptions | undefined {
  if (!config.leases) return undefined;
  return {
    dynamoClient: resources.dynamodb,
    appName: config.appName,
    workerId: config.leases.workerId,
    failoverTimeMs: config.leases.failoverTimeMs,
  };
}

/** The default providers, one per token. */
export const defaultParts: Record<
  'transformer' | 'filter' | 'bufferFactory' | 'emitter' | 'deadLetter' | 'checkpointStore',
  FactoryProvider
> = {
  transformer: {
    provide: TRANSFORMER,
    inject: [CONNECTOR_CONFIG],
    useFactory: (config: ConnectorConfig) =>
      config.transformer === 'string' ? new StringTransformer() : new JsonTransformer(),
  },
  filter: { provide: FILTER, useFactory: () => new AllPassFilter() },
  bufferFactory: {
    provide: BUFFER_FACTORY,
    inject: [CONNECTOR_CONFIG],
    useFactory: (config: ConnectorConfig): BufferFactory<unknown> => {
      new RecordBuffer(config.buffer); // fails at start, not at the first record, on bad limits
      return () => new RecordBuffer(config.buffer);
    },
  },
  emitter: { provide: EMITTER, inject: deps, useFactory: createEmitter },
  deadLetter: { provide: DEAD_LETTER_SINK, inject: deps, useFactory: createDeadLetterSink },
  checkpointStore: { provide: CHECKPOINT_STORE, inject: deps, useFactory: createCheckpointStore },
};

/**
 * DynamoDBEmitter's toItem sees one item, not its shard: a wrapper per batch adds it, so the key
 * `id` = provenanceKey (`<shard>:<sequence>:<sub>`, plus `:<index>` from a record's second model on) is unique
 * across shards and a replayed batch overwrites its items.
 */
class ShardKeyedDynamoDBEmitter<T> implements Emitter<T> {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    return new DynamoDBEmitter<T>({
      client: this.client,
      table: this.table,
      toItem: (item) => ({
        id: { S: provenanceKey(batch.shardId, item) },
        shardId: { S: batch.shardId },
        sequenceNumber: { S: item.record.sequenceNumber },
        data: { S: batch.toBytes(item.model).toString('utf8') },
      }),
    }).emit(batch);
  }

  async shutdown(): Promise<void> {}
}

/**
 * Creates the emitter's table (hash key `id`, on demand) when missing and waits until it is ACTIVE. An existing
 * table with another key schema is refused at start (every write would fail, item by item, into dead letters).
 */
async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  let description: TableDescription | undefined;
  const status = async () => {
    try {
      description = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
      return description?.TableStatus;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };
  if ((await status()) === undefined) {
    await client
      .send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      )
      .catch((error: Error) => {
        if (error.name !== 'ResourceInUseException') throw error; // created meanwhile
      });
  }
  for (let waited = 0; (await status()) !== 'ACTIVE'; waited += 250) {
    if (waited > 60_000) throw new Error(`DynamoDB table ${table} did not become ACTIVE within 60 s`);
    await sleep(250);
  }
  checkKeySchema(table, description);
}

/** The emitter writes items keyed by `id` (a string) alone: any other key schema is a configuration error. */
export function checkKeySchema(table: string, description: TableDescription | undefined): void {
  const keys = description?.KeySchema ?? [];
  const types = new Map(description?.AttributeDefinitions?.map((a) => [a.AttributeName, a.AttributeType]));
  const ok = keys.length === 1 && keys[0].AttributeName === 'id' && keys[0].KeyType === 'HASH';
  if (ok && types.get('id') === 'S') return;
  const found = keys.map((k) => `${k.AttributeName} ${k.KeyType} ${types.get(k.AttributeName!) ?? '?'}`);
  throw new Error(
    `DynamoDB table ${table} has key schema (${found.join(', ')}); EMITTER=dynamodb needs the hash key "id" ` +
      `of type S alone: set DYNAMODB_TABLE to another table (created when missing) or recreate this one`,
  );
}
