/**
 * The companion app killed with SIGKILL mid-stream and restarted (a real child process, the built app):
 * every produced record ends in the sink, and none twice, with the S3, Postgres and DynamoDB emitters.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, GetObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { ensureStream, Producer, silentLogger } from '../../libs/kinesis/src/index.js';
import {
  databaseUrl,
  dynamoClient,
  eventually,
  kinesisClient,
  kinesisEndpoint,
  redisUrl,
  s3Client,
  uniqueName,
} from '../support/harness.js';
import { assertConnectorBuilt, spawnConnector } from '../support/connector-process.js';

const TOTAL = 2_000;

function startApp(env: Record<string, string>): ChildProcess {
  const child = spawnConnector(env, ['ignore', 'ignore', 'pipe']);
  child.stderr?.on('data', () => undefined);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (code) => r(code)));
}

interface Sink {
  env: Record<string, string>;
  /** Every record id found in the sink, duplicates included. */
  ids(): Promise<number[]>;
  close?(): Promise<void>;
}

async function s3Sink(): Promise<Sink> {
  const s3 = s3Client();
  const bucket = uniqueName('kill');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    env: { EMITTER: 's3', S3_ENDPOINT: process.env.S3RVER_ENDPOINT!, S3_BUCKET: bucket, S3_PREFIX: 'out' },
    async ids() {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'out/' }));
      const ids: number[] = [];
      for (const object of listed.Contents ?? []) {
        const body = await (
          await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }))
        ).Body!.transformToString();
        for (const line of body.trim().split('\n').filter(Boolean)) ids.push(JSON.parse(line).id);
      }
      return ids;
    },
    close: async () => s3.destroy(),
  };
}

async function postgresSink(): Promise<Sink> {
  const pool = new pg.Pool({ connectionString: databaseUrl() });
  const table = uniqueName('kill').replace(/-/g, '_');
  return {
    env: { EMITTER: 'postgres', DATABASE_URL: databaseUrl(), PG_TABLE: table },
    async ids() {
      const exists = await pool.query('select to_regclass($1) as t', [table]);
      if (!exists.rows[0].t) return [];
      return (await pool.query(`select (data->>'id')::int as id from "${table}"`)).rows.map((r) => r.id);
    },
    close: async () => {
      await pool.query(`drop table if exists "${table}"`);
      await pool.end();
    },
  };
}

async function dynamoSink(): Promise<Sink> {
  const dynamo = dynamoClient();
  const table = uniqueName('kill');
  return {
    env: { EMITTER: 'dynamodb', DYNAMODB_ENDPOINT: process.env.DYNALITE_ENDPOINT!, DYNAMODB_TABLE: table },
    async ids() {
      const ids: number[] = [];
      let start: Record<string, any> | undefined;
      do {
        const page = await dynamo
          .send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }))
          .catch(() => undefined);
        if (!page) return ids;
        for (const item of page.Items ?? []) ids.push(JSON.parse(item.data.S!).id);
        start = page.LastEvaluatedKey;
      } while (start);
      return ids;
    },
    close: async () => dynamo.destroy(),
  };
}

describe('companion app killed with SIGKILL and restarted', () => {
  beforeAll(() => assertConnectorBuilt());

  it.each([
    ['S3', s3Sink],
    ['Postgres', postgresSink],
    ['DynamoDB', dynamoSink],
  ])(
    '%s: every record in the sink, none twice',
    async (_, makeSink) => {
      const sink = await makeSink();
      const kinesis = kinesisClient('kinesalite');
      const streamName = uniqueName('kill');
      await ensureStream(kinesis, streamName, { shardCount: 2 });
      const env = {
        ...sink.env,
        CONNECTOR_STREAM: streamName,
        CONNECTOR_APP_NAME: uniqueName('app'),
        KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
        CHECKPOINT_STORE: 'redis',
        REDIS_URL: redisUrl(),
        DEAD_LETTER: 'file',
        DEAD_LETTER_PATH: join(mkdtempSync(join(tmpdir(), 'kill-')), 'dead.jsonl'),
        BUFFER_MAX_RECORDS: '50',
        BUFFER_MAX_AGE_MS: '300',
        POLL_INTERVAL_MS: '50',
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
      };
      // Records keep arriving while the app is killed and restarted.
      const producer = new Producer({ client: kinesis, streamName, logger: silentLogger });
      const writing = (async () => {
        for (let id = 0; id < TOTAL; id += 100) {
          await Promise.all(
            Array.from({ length: 100 }, (_, i) =>
              producer.put({ data: JSON.stringify({ id: id + i }), partitionKey: `k${(id + i) % 13}` }),
            ),
          );
          await new Promise((r) => setTimeout(r, 40));
        }
        await producer.close();
      })();
      let app = startApp(env);
      try {
        await eventually(async () => (await sink.ids()).length >= 300, {
          timeoutMs: 30_000,
          message: 'the first records in the sink',
        });
        app.kill('SIGKILL');
        await exited(app);
        app = startApp(env);
        await writing;
        await eventually(async () => new Set(await sink.ids()).size >= TOTAL, {
          timeoutMs: 60_000,
          message: `all ${TOTAL} records`,
        });
        app.kill('SIGTERM');
        expect(await exited(app)).toBe(0);
        const ids = await sink.ids();
        expect(new Set(ids).size).toBe(TOTAL);
        expect(ids.length).toBe(TOTAL); // none twice
      } finally {
        if (app.exitCode === null) app.kill('SIGKILL');
        kinesis.destroy();
        await sink.close?.();
      }
    },
    120_000,
  );
});
