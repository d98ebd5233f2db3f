/**
 * Bounded shutdown and timeouts of the app's clients: close() returns within SHUTDOWN_GRACE_MS even when the
 * emitter never settles (nothing is checkpointed past the unwritten records); Postgres cancels a statement after
 * PG_STATEMENT_TIMEOUT_MS; the S3 and DynamoDB clients give up on an endpoint that never answers.
 */
import 'reflect-metadata';
import { createServer, type Server, type Socket } from 'node:net';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { EmitBatch, Emitter, FailedItem } from '../../../libs/connector/src/index.js';
import { pgPoolOf, s3ClientOf } from '../../../libs/connector/src/nest/driver-clients.js';
import { ConnectorResources } from '../../../libs/connector/src/nest/index.js';
import {
  databaseUrl,
  eventually,
  kinesisClient,
  kinesisEndpoint,
  redisUrl,
  uniqueName,
} from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { loadConnectorConfig } from './config.js';
import { createConnectorApp } from './main.js';

const SHARD = 'shardId-000000000000';

/** An emitter whose writes never settle (a destination that accepted the request and went silent). */
class NeverSettlingEmitter implements Emitter<unknown> {
  calls = 0;
  emit(_batch: EmitBatch<unknown>): Promise<FailedItem<unknown>[]> {
    this.calls++;
    return new Promise(() => undefined);
  }
  shutdown(): Promise<void> {
    return new Promise(() => undefined);
  }
}

/** A TCP endpoint that accepts connections and never answers. */
async function silentEndpoint(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      sockets.forEach((s) => s.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('connector app shutdown and client timeouts', () => {
  let kinesis: KinesisClient;
  let app: INestApplication | undefined;

  beforeAll(() => {
    kinesis = kinesisClient('kinesalite');
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  });

  afterAll(() => kinesis.destroy());

  it('close() returns within SHUTDOWN_GRACE_MS while an emit never settles, checkpointing nothing past it', async () => {
    const stream = uniqueName('shutdown');
    const appName = uniqueName('shutdown-app');
    const emitter = new NeverSettlingEmitter();
    app = await createConnectorApp(
      {
        CONNECTOR_STREAM: stream,
        CONNECTOR_APP_NAME: appName,
        CONNECTOR_CREATE_STREAM: '1',
        KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
        CHECKPOINT_STORE: 'redis',
        REDIS_URL: redisUrl(),
        S3_BUCKET: 'unused-bucket',
        BUFFER_MAX_RECORDS: '2',
        POLL_INTERVAL_MS: '50',
        SHUTDOWN_GRACE_MS: '1000',
        HTTP_PORT: '0',
        STATUS_INTERVAL_MS: '0',
        LOG_LEVEL: 'silent',
      },
      { parts: { emitter: { useValue: emitter } } },
    );
    await putRaw(
      kinesis,
      stream,
      [1, 2, 3].map((i) => ({ data: JSON.stringify({ i }), key: `k${i}` })),
    );
    await eventually(() => emitter.calls > 0, { message: 'the first emit' });

    // Without the grace period this never resolves (the test times out).
    await app.close();
    app = undefined;

    const redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      // Not checkpointed: a restart reads the records again.
      expect(await redis.get(`${appName}:checkpoint:${stream}:${SHARD}`)).toBeNull();
    } finally {
      redis.disconnect();
    }
  }, 30_000);

  it('Postgres cancels a statement after PG_STATEMENT_TIMEOUT_MS', async () => {
    const config = loadConnectorConfig({
      CONNECTOR_STREAM: 's',
      EMITTER: 'postgres',
      DATABASE_URL: databaseUrl(),
      PG_STATEMENT_TIMEOUT_MS: '200',
    });
    const resources = new ConnectorResources(config);
    try {
      await expect((await pgPoolOf(resources)).query('select pg_sleep(10)')).rejects.toMatchObject({
        code: '57014',
      });
    } finally {
      await resources.onApplicationShutdown();
    }
  }, 20_000);

  it('the Kinesis, S3 and DynamoDB clients give up on an endpoint that never answers', async () => {
    const endpoint = await silentEndpoint();
    const config = loadConnectorConfig({
      CONNECTOR_STREAM: 's',
      S3_BUCKET: 'bucket',
      KINESIS_ENDPOINT: endpoint.url,
      S3_ENDPOINT: endpoint.url,
      DYNAMODB_ENDPOINT: endpoint.url,
      AWS_REQUEST_TIMEOUT_MS: '200',
    });
    const resources = new ConnectorResources(config);
    try {
      await expect(
        (await s3ClientOf(resources)).send(new HeadBucketCommand({ Bucket: 'bucket' })),
      ).rejects.toThrow();
      await expect(resources.kinesis.send(new ListShardsCommand({ StreamName: 's' }))).rejects.toThrow(
        /timed? ?out/i,
      );
      await expect(resources.dynamodb.send(new DescribeTableCommand({ TableName: 't' }))).rejects.toThrow(
        /timed? ?out/i,
      );
    } finally {
      await resources.onApplicationShutdown();
      await endpoint.close();
    }
  }, 20_000);
});
