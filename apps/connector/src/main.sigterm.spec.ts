/**
 * The BUILT app as a real process (`node dist/apps/connector/src/main.js`): SIGTERM runs Nest's shutdown hooks,
 * which flush the buffered records and checkpoint, then the process exits 0. Needs `npm run build` first.
 */
import type { ChildProcess } from 'node:child_process';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { ensureStream } from '../../../libs/kinesis/src/index.js';
import {
  eventually,
  kinesisClient,
  kinesisEndpoint,
  redisUrl,
  s3Client,
  uniqueName,
} from '../../../test/support/harness.js';
import { assertConnectorBuilt, spawnConnector } from '../../../test/support/connector-process.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';

const SHARD = 'shardId-000000000000';

describe('connector process (built)', () => {
  let kinesis: KinesisClient;
  let s3: S3Client;
  let redis: Redis;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    assertConnectorBuilt();
    kinesis = kinesisClient('kinesalite');
    s3 = s3Client();
    redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    kinesis?.destroy();
    s3?.destroy();
    redis?.disconnect();
  });

  it('exits 0 on SIGTERM after flushing the buffered records and checkpointing', async () => {
    const stream = uniqueName('connector-proc');
    const bucket = uniqueName('proc').toLowerCase();
    const appName = uniqueName('connector-proc-app');
    await ensureStream(kinesis, stream, { shardCount: 1 });
    const records = Array.from({ length: 7 }, (_, i) => ({ data: JSON.stringify({ i }), key: `k${i}` }));
    await putRaw(kinesis, stream, records);

    child = spawnConnector(
      {
        CONNECTOR_STREAM: stream,
        CONNECTOR_APP_NAME: appName,
        KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
        CHECKPOINT_STORE: 'redis',
        REDIS_URL: redisUrl(),
        EMITTER: 's3',
        S3_ENDPOINT: process.env.S3RVER_ENDPOINT,
        S3_BUCKET: bucket,
        // Nothing flushes by count or age: only the shutdown can write these records.
        BUFFER_MAX_RECORDS: '1000',
        BUFFER_MAX_AGE_MS: '600000',
        POLL_INTERVAL_MS: '50',
        HTTP_PORT: '0',
        STATUS_INTERVAL_MS: '60000',
        LOG_LEVEL: 'info',
      },
      ['ignore', 'pipe', 'pipe'],
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );

    await eventually(() => /connector listening on http:\/\/127\.0\.0\.1:\d+/.test(output), {
      timeoutMs: 30_000,
      message: `the listening line; output so far:\n${output}`,
    });
    const port = /connector listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1];
    await eventually(
      async () =>
        /^records_read_total 7$/m.test(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
      { message: 'records_read_total 7' },
    );
    const before = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(before.KeyCount ?? 0).toBe(0);
    const key = `${appName}:checkpoint:${stream}:${SHARD}`;
    expect(await redis.get(key)).toBeNull();

    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect({ code, signal, output: code === 0 ? '' : output }).toEqual({ code: 0, signal: null, output: '' });
    expect(output).toMatch(/connector stopped/);

    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(after.Contents).toHaveLength(1);
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: after.Contents![0].Key }));
    const lines = (await body.Body!.transformToString()).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(records.map((_, i) => ({ i })));
    expect(await redis.get(key)).not.toBeNull();
    // Payloads never reach the logs at info.
    expect(output).not.toMatch(/\{"i":3\}|\\"i\\":3/);
  });
});
