/**
 * The connector's documented IAM policies (docs/iam) against the calls of a representative run on the local
 * endpoints: three JSON records emitted, one non-JSON record dead-lettered, the checkpoint kept in DynamoDB, then
 * stop. Each part (source stream, checkpoint table, emitter, dead-letter sink) gets a client of its own, so each
 * policy is compared with exactly the calls of its part. See iam-policies.spec.ts for the method.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  Connector,
  JsonTransformer,
  KinesisDeadLetterSink,
  KinesisEmitter,
  DynamoDBEmitter,
  type DeadLetterEntry,
  type DeadLetterSink,
  type Emitter,
} from '../../libs/connector/src/index.js';
import { RedshiftManifestEmitter } from '../../src/connector/redshift/index.js';
import { S3DeadLetterSink, S3Emitter, S3ManifestEmitter } from '../../src/connector/s3/index.js';
import {
  DynamoDBCheckpointStore,
  ensureStream,
  MemoryCheckpointStore,
  Producer,
  silentLogger,
  type CheckpointStore,
} from '../../libs/kinesis/src/index.js';
import { createS3rverClient } from '../../libs/local-aws/src/index.js';
import { bufferedItem, emitBatch } from '../support/emit-batches.js';
import pg from 'pg';
import {
  databaseUrl,
  dynamoClient,
  eventually,
  kinesisClient,
  s3Client,
  uniqueName,
} from '../support/harness.js';
import {
  expectPolicyFits,
  KMS_OPTIONAL,
  PRODUCER_AGGREGATION_OPTIONAL,
  recordCalls,
  recordedKinesis,
  type RecordedCall,
} from './iam-support.js';

type Model = { id?: string; n: number };

const admin = { kinesis: kinesisClient('kinesalite'), s3: s3Client(), dynamo: dynamoClient() };
afterAll(() => Object.values(admin).forEach((c) => c.destroy()));

function s3For(calls: RecordedCall[]): S3Client {
  const client = createS3rverClient(process.env.S3RVER_ENDPOINT!);
  recordCalls(client, 's3', calls);
  return client;
}

function dynamoFor(calls: RecordedCall[]): DynamoDBClient {
  const client = dynamoClient();
  recordCalls(client, 'dynamodb', calls);
  return client;
}

/** Dead letters kept in memory, for runs whose sink is not under test. */
class MemorySink implements DeadLetterSink {
  readonly entries: DeadLetterEntry[] = [];
  async write(entries: DeadLetterEntry[]) {
    this.entries.push(...entries);
  }
}

/**
 * Puts three JSON records and one non-JSON record on a new stream, runs a connector on it until `done()`, stops it.
 * The source stream's calls go to `sourceCalls`.
 */
async function runConnector(options: {
  SourceStream: string;
  emitter: Emitter<Model>;
  deadLetter: DeadLetterSink;
  checkpointStore?: CheckpointStore;
  sourceCalls: RecordedCall[];
  records?: string[];
  done: () => boolean;
}): Promise<void> {
  await ensureStream(admin.kinesis, options.SourceStream, { shardCount: 1 });
  const records = options.records ?? ['{"id":"a","n":1}', '{"id":"b","n":2}', '{"id":"c","n":3}', 'not json'];
  await admin.kinesis.send(
    new PutRecordsCommand({
      StreamName: options.SourceStream,
      Records: records.map((data) => ({ Data: Buffer.from(data), PartitionKey: 'k' })),
    }),
  );
  const connector = new Connector<Model>({
    client: recordedKinesis('kinesalite', options.sourceCalls),
    streamName: options.SourceStream,
    checkpointStore: options.checkpointStore ?? new MemoryCheckpointStore(),
    transformer: new JsonTransformer<Model>(),
    emitter: options.emitter,
    deadLetter: options.deadLetter,
    bufferLimits: { maxRecords: 3, maxAgeMs: 200 },
    consumer: { pollIntervalMs: 50 },
    pipeline: { emitAttempts: 1 },
    logger: silentLogger,
  });
  await connector.start();
  await eventually(options.done, { message: 'the batch emitted and the bad record dead-lettered' });
  await connector.stop();
}

const written = (calls: RecordedCall[], action: string) => calls.some((c) => c.action === action);

describe('connector policies', () => {
  it('source stream, DynamoDB checkpoints, S3 emitter and S3 dead letters each use exactly their policy', async () => {
    const values = {
      SourceStream: uniqueName('iam-source'),
      CheckpointTable: uniqueName('iam-checkpoints'),
      Bucket: uniqueName('iam-bucket'),
      Prefix: 'events',
      DeadLetterPrefix: 'dead-letters',
    };
    await admin.s3.send(new CreateBucketCommand({ Bucket: values.Bucket }));
    const calls = { source: [], checkpoints: [], emitter: [], deadLetter: [] } as Record<
      string,
      RecordedCall[]
    >;
    const emitter = new S3Emitter<Model>({
      client: s3For(calls.emitter),
      bucket: values.Bucket,
      prefix: values.Prefix,
    });
    await runConnector({
      SourceStream: values.SourceStream,
      sourceCalls: calls.source,
      checkpointStore: new DynamoDBCheckpointStore({
        client: dynamoFor(calls.checkpoints),
        tableName: values.CheckpointTable,
      }),
      emitter,
      deadLetter: new S3DeadLetterSink(s3For(calls.deadLetter), values.Bucket, values.DeadLetterPrefix),
      done: () => written(calls.emitter, 's3:PutObject') && written(calls.deadLetter, 's3:PutObject'),
    });
    // A batch replayed after a crash that ends elsewhere: the emitter deletes the first attempt's object.
    const item = (n: number) => bufferedItem<Model>({ n }, { sequenceNumber: String(n) });
    const replayed = { streamName: values.SourceStream };
    await emitter.emit(emitBatch([item(1), item(2), item(3)], replayed));
    await emitter.emit(emitBatch([item(1), item(2)], replayed));

    const observed = {
      connector: expectPolicyFits('connector-source', values, calls.source, KMS_OPTIONAL),
      checkpoints: expectPolicyFits('checkpoint-dynamodb', values, calls.checkpoints, {
        'dynamodb:CreateTable': 'createTable (default true), when the table is missing',
      }),
      emitter: expectPolicyFits('emitter-s3', values, calls.emitter, {}),
      deadLetter: expectPolicyFits('dead-letter-s3', values, calls.deadLetter, {}),
    };
    expect(observed.emitter).toContain('s3:DeleteObject');
  });

  it('the S3 manifest emitter uses exactly its policy (S3 object, then its path on the manifest stream)', async () => {
    const values = {
      SourceStream: uniqueName('iam-source'),
      Bucket: uniqueName('iam-bucket'),
      Prefix: 'events',
      ManifestStream: uniqueName('iam-manifest'),
    };
    await admin.s3.send(new CreateBucketCommand({ Bucket: values.Bucket }));
    await ensureStream(admin.kinesis, values.ManifestStream, { shardCount: 1 });
    const calls = { source: [], s3: [], manifest: [] } as Record<string, RecordedCall[]>;
    const producer = new Producer({
      client: recordedKinesis('kinesalite', calls.manifest),
      streamName: values.ManifestStream,
      logger: silentLogger,
    });
    const dead = new MemorySink();
    await runConnector({
      SourceStream: values.SourceStream,
      sourceCalls: calls.source,
      emitter: new S3ManifestEmitter<Model>({
        s3: { client: s3For(calls.s3), bucket: values.Bucket, prefix: values.Prefix },
        producer,
      }),
      deadLetter: dead,
      done: () => written(calls.manifest, 'kinesis:PutRecords') && dead.entries.length === 1,
    });
    await producer.close();
    expectPolicyFits('emitter-s3-manifest', values, [...calls.s3, ...calls.manifest], {
      ...KMS_OPTIONAL,
      ...PRODUCER_AGGREGATION_OPTIONAL,
      's3:DeleteObject':
        'a replayed batch that ends elsewhere (seen in the S3 emitter run: the same S3Emitter)',
    });
  });

  it('the DynamoDB emitter uses exactly its policy (a batch, and one item DynamoDB refuses)', async () => {
    const values = { SourceStream: uniqueName('iam-source'), Table: uniqueName('iam-items') };
    await admin.dynamo.send(
      new CreateTableCommand({
        TableName: values.Table,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const calls = { source: [], table: [] } as Record<string, RecordedCall[]>;
    const dead = new MemorySink();
    await runConnector({
      SourceStream: values.SourceStream,
      sourceCalls: calls.source,
      // The record without an id makes an item without its key: BatchWriteItem fails, items go one by one.
      records: ['{"id":"a","n":1}', '{"id":"b","n":2}', '{"n":3}'],
      emitter: new DynamoDBEmitter<Model>({
        client: dynamoFor(calls.table),
        table: values.Table,
        toItem: ({ model }) => ({ ...(model.id ? { id: { S: model.id } } : {}), n: { N: String(model.n) } }),
      }),
      deadLetter: dead,
      done: () => dead.entries.length === 1,
    });
    expectPolicyFits('emitter-dynamodb', values, calls.table, {});
  });

  it('the Kinesis emitter and the Kinesis dead-letter sink use exactly their policies', async () => {
    const values = {
      SourceStream: uniqueName('iam-source'),
      TargetStream: uniqueName('iam-target'),
      DeadLetterStream: uniqueName('iam-dead'),
    };
    await ensureStream(admin.kinesis, values.TargetStream, { shardCount: 1 });
    await ensureStream(admin.kinesis, values.DeadLetterStream, { shardCount: 1 });
    const calls = { source: [], target: [], deadLetter: [] } as Record<string, RecordedCall[]>;
    const producer = (stream: string, recorded: RecordedCall[]) =>
      new Producer({
        client: recordedKinesis('kinesalite', recorded),
        streamName: stream,
        logger: silentLogger,
      });
    // The emitter's producer aggregates (ListShards then used), the sink's does not.
    const targetProducer = new Producer({
      client: recordedKinesis('kinesalite', calls.target),
      streamName: values.TargetStream,
      aggregation: true,
      logger: silentLogger,
    });
    await runConnector({
      SourceStream: values.SourceStream,
      sourceCalls: calls.source,
      emitter: new KinesisEmitter<Model>({ producer: targetProducer }),
      deadLetter: new KinesisDeadLetterSink(producer(values.DeadLetterStream, calls.deadLetter)),
      done: () =>
        written(calls.target, 'kinesis:PutRecords') && written(calls.deadLetter, 'kinesis:PutRecords'),
    });
    await targetProducer.close();
    expectPolicyFits('emitter-kinesis', values, calls.target, KMS_OPTIONAL);
    expectPolicyFits('dead-letter-kinesis', values, calls.deadLetter, {
      ...KMS_OPTIONAL,
      ...PRODUCER_AGGREGATION_OPTIONAL,
    });
  });

  it('the Redshift manifest emitter writes only its manifests to S3 (COPY reads them with the cluster role)', async () => {
    const values = { Bucket: uniqueName('iam-bucket'), ManifestPrefix: 'manifests' };
    await admin.s3.send(new CreateBucketCommand({ Bucket: values.Bucket }));
    const pool = new pg.Pool({ connectionString: databaseUrl() });
    const [dataTable, fileTable] = [uniqueName('iam_data'), uniqueName('iam_files')].map((n) =>
      n.replace(/-/g, '_'),
    );
    await pool.query(`CREATE TABLE "${dataTable}" (doc jsonb)`);
    await pool.query(`CREATE TABLE "${fileTable}" (file text)`);
    const calls: RecordedCall[] = [];
    try {
      const emitter = new RedshiftManifestEmitter({
        s3Client: s3For(calls),
        bucket: values.Bucket,
        manifestPrefix: values.ManifestPrefix,
        pg: pool,
        dataTable,
        fileTable,
        iamRole: 'arn:aws:iam::123456789012:role/Loader',
        runCopy: async () => undefined, // COPY is Redshift's call, with the cluster's role: not ours
      });
      const url = (n: number) => `s3://${values.Bucket}/events/orders/shard/${n}`;
      const items = [1, 2].map((n) =>
        bufferedItem(url(n), { sequenceNumber: String(n) }, (m) => Buffer.from(m)),
      );
      expect(await emitter.emit(emitBatch(items, { toBytes: (m) => Buffer.from(m) }))).toEqual([]);
    } finally {
      await pool.query(`DROP TABLE IF EXISTS "${dataTable}", "${fileTable}"`);
      await pool.end();
    }
    expectPolicyFits('emitter-redshift-manifest', values, calls, {});
  });
});
