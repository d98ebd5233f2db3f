/**
 * /health of the whole app in-process against the local services: 503 naming the shard and the reason while an
 * emitter fails (s3rver bucket gone) or a lease is lost (taken in dynalite behind the app's back), 200 again
 * once the shard writes / holds its lease again; 503 while records are written but the checkpoint store (Redis
 * behind a proxy that is cut) takes no checkpoint.
 */
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { INestApplication } from '@nestjs/common';
import {
  dynamoClient,
  eventually,
  kinesisClient,
  kinesisEndpoint,
  s3Client,
  uniqueName,
} from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { createConnectorApp } from './main.js';

const SHARD = 'shardId-000000000000';

interface HealthBody {
  status: string;
  details: {
    connector: {
      status: string;
      problems: Array<{ shardId: string; problem: string; detail: string }>;
      consumer?: {
        shards: Array<{ shardId: string; throttleStreak: number }>;
        leases?: Record<string, number>;
      };
    };
  };
}

describe('connector app /health (in-process)', () => {
  let kinesis: KinesisClient;
  let s3: S3Client;
  let dynamo: DynamoDBClient;
  let app: INestApplication | undefined;

  beforeAll(() => {
    kinesis = kinesisClient('kinesalite');
    s3 = s3Client();
    dynamo = dynamoClient();
    // The app's clients use the SDK default chain: s3rver only accepts its own key pair (the others any).
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(() => {
    kinesis.destroy();
    s3.destroy();
    dynamo.destroy();
  });

  function baseEnv(stream: string, bucket: string): Record<string, string> {
    return {
      CONNECTOR_STREAM: stream,
      CONNECTOR_APP_NAME: uniqueName('health-app'),
      CONNECTOR_CREATE_STREAM: '1',
      KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
      EMITTER: 's3',
      S3_ENDPOINT: process.env.S3RVER_ENDPOINT!,
      S3_BUCKET: bucket,
      DEAD_LETTER: 'file',
      DEAD_LETTER_PATH: join(mkdtempSync(join(tmpdir(), 'health-dl-')), 'dead.jsonl'),
      BUFFER_MAX_RECORDS: '3',
      BUFFER_MAX_AGE_MS: '200',
      HEALTH_STALL_MS: '1000',
      POLL_INTERVAL_MS: '50',
      HTTP_PORT: '0',
      STATUS_INTERVAL_MS: '0',
      LOG_LEVEL: 'silent',
    };
  }

  async function health(): Promise<{ code: number; body: HealthBody }> {
    const { port } = app!.getHttpServer().address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    return { code: response.status, body: (await response.json()) as HealthBody };
  }

  it('answers 503 naming the shard while its emitter fails longer than HEALTH_STALL_MS, 200 once it writes', async () => {
    const stream = uniqueName('health-stall');
    const bucket = uniqueName('health').toLowerCase();
    app = await createConnectorApp({ ...baseEnv(stream, bucket), CHECKPOINT_STORE: 'memory' });
    expect((await health()).code).toBe(200);

    // The bucket the app created is gone: every write of the emitter fails (NoSuchBucket) and is retried.
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    await putRaw(
      kinesis,
      stream,
      [1, 2, 3].map((i) => ({ data: JSON.stringify({ i }), key: `k${i}` })),
    );
    let down: { code: number; body: HealthBody } | undefined;
    await eventually(async () => (down = await health()).code === 503, {
      timeoutMs: 20_000,
      message: '/health 503 while the emitter fails',
    });
    expect(down!.body.status).toBe('error');
    expect(down!.body.details.connector.problems).toEqual([
      {
        shardId: SHARD,
        problem: 'stalled',
        detail: expect.stringMatching(/^emitter failing \(\d+ failed attempts\)/),
      },
    ]);

    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await eventually(async () => (await health()).code === 200, {
      timeoutMs: 30_000, // the pipeline's backoff between attempts reaches 10 s
      message: '/health 200 after the bucket is back',
    });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: listed.Contents![0].Key }));
    expect((await body.Body!.transformToString()).trim().split('\n')).toHaveLength(3);
  }, 60_000);

  it('answers 503 naming the shard when its lease is taken behind its back, 200 once it holds it again', async () => {
    const stream = uniqueName('health-lease');
    const env: Record<string, string> = {
      ...baseEnv(stream, uniqueName('health').toLowerCase()),
      CHECKPOINT_STORE: 'leases',
      DYNAMODB_ENDPOINT: process.env.DYNALITE_ENDPOINT!,
      LEASE_WORKER_ID: 'connector-a',
      LEASE_FAILOVER_MS: '1000',
    };
    app = await createConnectorApp(env);
    let up: { code: number; body: HealthBody } | undefined;
    await eventually(async () => (up = await health()).code === 200, {
      message: '/health 200 with the lease',
    });
    // The consumer's read state and lease share (Consumer.health()), as the indicator judged them.
    expect(up!.body.details.connector.consumer).toMatchObject({
      shards: [{ shardId: SHARD, throttleStreak: 0 }],
      leases: { leasesHeld: 1, workers: 1, openShards: 1, evenShare: 1, unleasedShards: 0 },
    });

    // Another worker's write: the owner changes and the counter moves, so connector-a's next renewal is refused.
    await dynamo.send(
      new UpdateItemCommand({
        TableName: `${env.CONNECTOR_APP_NAME}-${stream}`,
        Key: { leaseKey: { S: SHARD } },
        UpdateExpression: 'SET leaseOwner = :intruder, leaseCounter = leaseCounter + :one',
        ExpressionAttributeValues: { ':intruder': { S: 'intruder' }, ':one': { N: '1' } },
      }),
    );
    let down: { code: number; body: HealthBody } | undefined;
    await eventually(
      async () =>
        (down = await health()).body.details.connector.problems?.some((p) => p.problem === 'lease lost'),
      { timeoutMs: 20_000, message: '/health naming the lost lease' },
    );
    expect(down!.code).toBe(503);
    expect(down!.body.details.connector.problems).toContainEqual({
      shardId: SHARD,
      problem: 'lease lost',
      detail: expect.any(String),
    });

    // The intruder never renews: after LEASE_FAILOVER_MS connector-a takes the lease back.
    await eventually(async () => (await health()).code === 200, {
      timeoutMs: 20_000,
      message: '/health 200 with the lease taken back',
    });
  }, 60_000);

  it('answers 503 "not checkpointing" while records are written but the checkpoint store is down, 200 once it is back', async () => {
    const redis = await redisProxy();
    const stream = uniqueName('health-ckpt');
    try {
      app = await createConnectorApp({
        ...baseEnv(stream, uniqueName('health').toLowerCase()),
        CHECKPOINT_STORE: 'redis',
        REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      });
      await eventually(async () => (await health()).code === 200, { message: '/health 200 at start' });
      redis.cut(); // from here every checkpoint fails; the emitter (s3rver) still writes
      await putRaw(kinesis, stream, [{ data: JSON.stringify({ i: 1 }), key: 'k1' }]);
      let down: { code: number; body: HealthBody } | undefined;
      await eventually(
        async () =>
          (down = await health()).body.details.connector.problems?.some(
            (p) => p.problem === 'not checkpointing',
          ),
        { timeoutMs: 20_000, message: "/health naming the shard 'not checkpointing'" },
      );
      expect(down!.code).toBe(503);
      expect(down!.body.details.connector.problems).toContainEqual({
        shardId: SHARD,
        problem: 'not checkpointing',
        detail: expect.stringMatching(
          /^records written \d+\.\d s ago are not checkpointed; last checkpoint /,
        ),
      });

      // The store answers again: the next write's checkpoint covers the records (a failed one is not retried alone).
      redis.restore();
      await putRaw(kinesis, stream, [{ data: JSON.stringify({ i: 2 }), key: 'k2' }]);
      await eventually(async () => (await health()).code === 200, {
        timeoutMs: 30_000,
        message: '/health 200 once checkpoints are taken again',
      });
    } finally {
      await app?.close();
      app = undefined;
      redis.close();
    }
  }, 60_000);
});

/** A TCP proxy to the local Redis that can be cut (connections dropped, new ones refused) and restored. */
async function redisProxy(): Promise<{ port: number; cut(): void; restore(): void; close(): void }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = connect(6379, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    open = false;
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as { port: number }).port,
    cut,
    restore: () => (open = true),
    close: () => {
      cut();
      server.close();
    },
  };
}
