/** The whole app in-process: kinesalite -> S3 emitter (s3rver), Redis checkpoints, /health and /metrics. */
import 'reflect-metadata';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { INestApplication } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Redis } from 'ioredis';
import {
  eventually,
  kinesisClient,
  kinesisEndpoint,
  redisUrl,
  s3Client,
  uniqueName,
} from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { createConnectorApp } from './main.js';

const SHARD = 'shardId-000000000000';

describe('connector app end to end (S3 + Redis)', () => {
  let kinesis: KinesisClient;
  let s3: S3Client;
  let redis: Redis;
  let app: INestApplication | undefined;
  const stream = uniqueName('connector-e2e');
  const bucket = uniqueName('archive').toLowerCase();
  const appName = uniqueName('connector-app');
  const deadLetterPath = join(mkdtempSync(join(tmpdir(), 'connector-dl-')), 'dead.jsonl');

  beforeAll(async () => {
    kinesis = kinesisClient('kinesalite');
    s3 = s3Client();
    redis = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    // The app's clients use the SDK default chain: s3rver only accepts its own key pair (kinesalite any).
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  });

  afterAll(async () => {
    await app?.close();
    kinesis.destroy();
    s3.destroy();
    redis.disconnect();
  });

  async function objects(): Promise<Array<{ key: string; lines: string[] }>> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return Promise.all(
      (listed.Contents ?? []).map(async ({ Key }) => {
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        const text = await body.Body!.transformToString();
        return { key: Key!, lines: text.split('\n').filter(Boolean) };
      }),
    );
  }

  it('archives records to S3, serves /health and /metrics, and flushes + checkpoints on close', async () => {
    app = await createConnectorApp({
      CONNECTOR_STREAM: stream,
      CONNECTOR_APP_NAME: appName,
      CONNECTOR_CREATE_STREAM: '1',
      KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
      CHECKPOINT_STORE: 'redis',
      REDIS_URL: redisUrl(),
      EMITTER: 's3',
      S3_ENDPOINT: process.env.S3RVER_ENDPOINT,
      S3_BUCKET: bucket, // created by the app
      S3_PREFIX: 'archive',
      DEAD_LETTER: 'file',
      DEAD_LETTER_PATH: deadLetterPath,
      BUFFER_MAX_RECORDS: '10',
      BUFFER_MAX_AGE_MS: '600000', // only the count (or shutdown) flushes: the last 5 wait for close()
      POLL_INTERVAL_MS: '50',
      HTTP_PORT: '0',
      STATUS_INTERVAL_MS: '200',
      LOG_LEVEL: 'warn',
    });
    const address = app.getHttpServer().address() as { port: number };
    const base = `http://127.0.0.1:${address.port}`;

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      info: { connector: { status: 'up', state: 'running', activeShards: [SHARD] } },
    });

    const records = Array.from({ length: 25 }, (_, i) => ({ data: JSON.stringify({ i }), key: `k${i}` }));
    const oddOnes = [
      { data: 'not json', key: 'bad' },
      { data: '[]', key: 'empty' }, // no model: counted, not written, not dead-lettered
    ];
    await putRaw(kinesis, stream, [...records, ...oddOnes]);

    // Two full buffers of 10 are written by count.
    await eventually(async () => (await objects()).length === 2, { message: 'two S3 objects' });
    const early = await objects();
    expect(early.every((o) => o.key.startsWith(`archive/${stream}/${SHARD}/`))).toBe(true);
    expect(early.flatMap((o) => o.lines)).toHaveLength(20);

    const metricsText = async () => (await fetch(`${base}/metrics`)).text();
    await eventually(async () => /^records_read_total 27$/m.test(await metricsText()), {
      message: 'records_read_total 27',
    });
    const metrics = await metricsText();
    expect(metrics).toMatch(/^records_emitted_total 20$/m);
    expect(metrics).toMatch(/^records_dead_lettered_total \d+$/m);
    expect(metrics).toMatch(/^emit_failures_total 0$/m);
    expect(metrics).toMatch(/^records_empty_total 1$/m);
    expect(metrics).toMatch(/^records_filtered_total 0$/m);
    expect(metrics).toMatch(new RegExp(`^lag_ms\\{shard="${SHARD}"\\} \\d+$`, 'm'));
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m); // default process metrics
    // The library's OpenTelemetry instruments, through the Prometheus exporter, on the same /metrics.
    const otel = (name: string, labels: string) =>
      new RegExp(`^${name}\\{[^}]*messaging_destination_name="${stream}"[^}]*${labels}[^}]*\\} (\\S+)$`, 'm');
    expect(metrics).toMatch(otel('messaging_client_consumed_messages_total', ''));
    expect(metrics.match(otel('messaging_client_consumed_messages_total', ''))![1]).toBe('27');
    expect(Number(metrics.match(otel('kinesis_client_consumed_bytes_total', ''))![1])).toBeGreaterThan(0);
    expect(metrics.match(otel('kinesis_connector_records_total', 'outcome="emitted"'))![1]).toBe('20');
    expect(metrics.match(otel('kinesis_connector_emit_duration_count', ''))![1]).toBe('2');
    expect(metrics).toMatch(otel('kinesis_consumer_lag', `partition_id="${SHARD}"`));
    expect(metrics).toMatch(/^# UNIT kinesis_consumer_lag s$/m); // seconds, as every duration

    // The checkpoint follows the emitted objects: up to the 20th record, not past what is still buffered.
    const key = `${appName}:checkpoint:${stream}:${SHARD}`;
    await eventually(async () => (await redis.get(key)) !== null, { message: 'a Redis checkpoint' });
    const midway = await redis.get(key);

    await app.close();
    app = undefined;

    // close(): the 5 buffered records were flushed into a third object, and the checkpoint moved to the end.
    const all = await objects();
    expect(all).toHaveLength(3);
    const models = all.flatMap((o) => o.lines.map((l) => JSON.parse(l) as { i: number }));
    expect(models.map((m) => m.i).sort((a, b) => a - b)).toEqual(records.map((_, i) => i));
    const final = await redis.get(key);
    expect(final).not.toBe(midway);
    expect(BigInt(final!.split(':')[0])).toBeGreaterThan(BigInt(midway!.split(':')[0]));

    const dead = readFileSync(deadLetterPath, 'utf8').trim().split('\n');
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0])).toMatchObject({ stage: 'transform', partitionKey: 'bad' });
  });

  it('binds 127.0.0.1 by default (HTTP_HOST to change) and answers /metrics 404 with METRICS_ENABLED=false', async () => {
    const env = {
      CONNECTOR_STREAM: uniqueName('connector-http'),
      CONNECTOR_CREATE_STREAM: '1',
      KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
      S3_ENDPOINT: process.env.S3RVER_ENDPOINT,
      S3_BUCKET: uniqueName('http').toLowerCase(),
      DEAD_LETTER_PATH: deadLetterPath,
      HTTP_PORT: '0',
      STATUS_INTERVAL_MS: '0',
      LOG_LEVEL: 'silent',
    };
    app = await createConnectorApp({ ...env, METRICS_ENABLED: 'false' });
    const bound = app.getHttpServer().address() as { address: string; port: number };
    expect(bound.address).toBe('127.0.0.1');
    expect((await fetch(`http://127.0.0.1:${bound.port}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${bound.port}/health`)).status).toBe(200);
    await app.close();

    app = await createConnectorApp({ ...env, HTTP_HOST: '0.0.0.0' });
    const all = app.getHttpServer().address() as { address: string; port: number };
    expect(all.address).toBe('0.0.0.0');
    expect((await fetch(`http://127.0.0.1:${all.port}/metrics`)).status).toBe(200);
    await app.close();
    app = undefined;
  });

  it('a bootstrap that fails leaves no OpenTelemetry meter provider registered (the next app would lose its own)', async () => {
    const env = {
      CONNECTOR_STREAM: uniqueName('connector-fails'),
      CONNECTOR_CREATE_STREAM: '1',
      KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
      S3_ENDPOINT: process.env.S3RVER_ENDPOINT,
      S3_BUCKET: uniqueName('fails').toLowerCase(),
      DEAD_LETTER_PATH: deadLetterPath,
      HTTP_PORT: '0',
      STATUS_INTERVAL_MS: '0',
      LOG_LEVEL: 'silent',
    };
    const key = process.env.AWS_ACCESS_KEY_ID;
    process.env.AWS_ACCESS_KEY_ID = 'not-s3rver'; // s3rver refuses it: creating the bucket fails the bootstrap
    try {
      await expect(createConnectorApp(env)).rejects.toThrow();
    } finally {
      process.env.AWS_ACCESS_KEY_ID = key;
    }
    const probe = new MeterProvider();
    expect(metrics.setGlobalMeterProvider(probe)).toBe(true); // none left behind
    metrics.disable();
    await probe.shutdown();
  });

  it('refuses a bad config before starting anything, listing every problem', async () => {
    await expect(
      createConnectorApp({ CONNECTOR_STREAM: stream, EMITTER: 's3', HTTP_PORT: 'eighty', S3_GZIP: 'x' }),
    ).rejects.toThrow(
      'invalid connector configuration (3):\n' +
        '  - S3_GZIP must be true or false, got "x"\n' +
        '  - HTTP_PORT must be an integer from 0 to 65535, got "eighty"\n' +
        '  - S3_BUCKET is required when EMITTER=s3',
    );
  });
});
