/**
 * The built companion app on a stream that mixes valid records with poison, killed with SIGKILL three times
 * and restarted (4 shards, Postgres emitter, Redis checkpoints, dead letters to a file). The result as counts:
 * every valid model once in Postgres (each element of a flat array included), every malformed record in the
 * dead letters (by shard + sequence number), nothing else anywhere (`[]` records in neither), /health ok at the end.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureStream, Producer, silentLogger } from '../../libs/kinesis/src/index.js';
import {
  databaseUrl,
  eventually,
  kinesisClient,
  kinesisEndpoint,
  redisUrl,
  uniqueName,
} from '../support/harness.js';
import {
  assertConnectorBuilt,
  listeningPort,
  runConnector,
  type RunningConnector,
} from '../support/connector-process.js';

const VALID_PLAIN = 17_000;
const FLAT_ARRAYS = 500; // of FLAT_ARRAY_SIZE valid models each
const FLAT_ARRAY_SIZE = 5;
const PROTO_KEYS = 500; // valid: `__proto__` is only a key here, it must neither pollute nor get lost
const LARGE_VALID = 5; // 900 KB JSON models
const NOT_JSON = 100;
const LARGE_NOT_JSON = 10; // 900 KB each
const DEEP_ARRAYS = 40; // nested 5,000 deep: parse, but cannot be serialized back
const NUL_STRINGS = 20; // JSON Postgres refuses (\u0000 in jsonb): a record-level emitter error
const EMPTY_ARRAYS = 20; // `[]`: no model, so neither stored nor dead-lettered
const KILL_AT_ROWS = [4_000, 9_000, 14_000];

type Kind = 'valid' | 'malformed' | 'empty';
interface Poisoned {
  data: string;
  kind: Kind;
  /** The ids of the valid models it holds. */
  ids: number[];
}

/** The mix, in a fixed pseudo-random order. */
function records(): Poisoned[] {
  let id = 0;
  const out: Poisoned[] = [];
  const valid = (data: (ids: number[]) => string, count: number) => {
    const ids = Array.from({ length: count }, () => id++);
    out.push({ data: data(ids), kind: 'valid', ids });
  };
  const pad = 'x'.repeat(900 * 1024);
  for (let i = 0; i < VALID_PLAIN; i++) valid(([n]) => JSON.stringify({ id: n }), 1);
  for (let i = 0; i < FLAT_ARRAYS; i++)
    valid((ids) => JSON.stringify(ids.map((n) => ({ id: n }))), FLAT_ARRAY_SIZE);
  for (let i = 0; i < PROTO_KEYS; i++) valid(([n]) => `{"__proto__":{"polluted":true},"id":${n}}`, 1);
  for (let i = 0; i < LARGE_VALID; i++) valid(([n]) => JSON.stringify({ id: n, pad }), 1);
  const malformed = (data: string) => out.push({ data, kind: 'malformed', ids: [] });
  for (let i = 0; i < NOT_JSON; i++) malformed(`not json ${i} {`);
  for (let i = 0; i < LARGE_NOT_JSON; i++) malformed(`{${pad}`);
  for (let i = 0; i < DEEP_ARRAYS; i++) malformed('['.repeat(5_000) + ']'.repeat(5_000));
  for (let i = 0; i < NUL_STRINGS; i++) malformed(`{"id":${id++},"note":"a\\u0000b"}`);
  for (let i = 0; i < EMPTY_ARRAYS; i++) out.push({ data: '[]', kind: 'empty', ids: [] });
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('companion app killed with SIGKILL and restarted, poison mixed in', () => {
  beforeAll(() => assertConnectorBuilt());

  it('Postgres: every valid model once, every malformed record dead-lettered, nothing else', async () => {
    const kinesis = kinesisClient('kinesalite');
    const pool = new pg.Pool({ connectionString: databaseUrl() });
    const streamName = uniqueName('poison');
    const table = uniqueName('poison').replace(/-/g, '_');
    const deadLetterPath = join(mkdtempSync(join(tmpdir(), 'poison-')), 'dead.jsonl');
    await ensureStream(kinesis, streamName, { shardCount: 4 });
    const env = {
      CONNECTOR_STREAM: streamName,
      CONNECTOR_APP_NAME: uniqueName('app'),
      KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
      CHECKPOINT_STORE: 'redis',
      REDIS_URL: redisUrl(),
      EMITTER: 'postgres',
      DATABASE_URL: databaseUrl(),
      PG_TABLE: table,
      DEAD_LETTER: 'file',
      DEAD_LETTER_PATH: deadLetterPath,
      BUFFER_MAX_RECORDS: '500',
      BUFFER_MAX_AGE_MS: '300',
      HEALTH_STALL_MS: '5000',
      POLL_INTERVAL_MS: '50',
      HTTP_PORT: '0',
      STATUS_INTERVAL_MS: '0',
      LOG_LEVEL: 'info',
    };
    const rows = async (): Promise<number> => {
      const exists = await pool.query('select to_regclass($1) as t', [table]);
      if (!exists.rows[0].t) return 0;
      return Number((await pool.query(`select count(*) as n from "${table}"`)).rows[0].n);
    };
    const deadLetters = (): Array<{ shardId: string; sequenceNumber: string; stage: string }> =>
      existsSync(deadLetterPath)
        ? readFileSync(deadLetterPath, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line))
        : [];

    const mix = records();
    const validIds = mix.flatMap((r) => r.ids);
    const malformedKeys = new Set<string>();
    const emptyKeys = new Set<string>();
    // Records keep arriving while the app is killed and restarted.
    const producer = new Producer({ client: kinesis, streamName, logger: silentLogger });
    const writing = (async () => {
      for (let i = 0; i < mix.length; i += 500) {
        const chunk = mix.slice(i, i + 500);
        const results = await Promise.all(
          chunk.map((r, j) => producer.put({ data: r.data, partitionKey: `k${(i + j) % 97}` })),
        );
        results.forEach((put, j) => {
          const key = `${put.shardId}/${put.sequenceNumber}`;
          if (chunk[j].kind === 'malformed') malformedKeys.add(key);
          if (chunk[j].kind === 'empty') emptyKeys.add(key);
        });
        await new Promise((r) => setTimeout(r, 100));
      }
      await producer.close();
    })();

    let app: RunningConnector = runConnector(env);
    try {
      for (const threshold of KILL_AT_ROWS) {
        await eventually(async () => (await rows()) >= threshold, {
          timeoutMs: 40_000,
          message: `${threshold} rows before a SIGKILL; app output:\n${app.output().slice(-2_000)}`,
        });
        app.child.kill('SIGKILL');
        await app.exited;
        app = runConnector(env);
      }
      await writing;
      await eventually(
        async () =>
          (await rows()) >= validIds.length &&
          new Set(deadLetters().map((d) => `${d.shardId}/${d.sequenceNumber}`)).size >= malformedKeys.size,
        {
          timeoutMs: 60_000,
          message: `all ${validIds.length} valid models and ${malformedKeys.size} dead letters`,
        },
      );
      await eventually(() => listeningPort(app.output()) !== undefined, { message: 'the listening line' });
      const health = await fetch(`http://127.0.0.1:${listeningPort(app.output())}/health`);
      const healthBody = await health.text();
      app.child.kill('SIGTERM');
      expect(await app.exited).toBe(0);

      const stored = (
        await pool.query(`select (data->>'id')::int as id, count(*)::int as n from "${table}" group by 1`)
      ).rows as Array<{ id: number | null; n: number }>;
      const storedIds = new Set(stored.map((r) => r.id));
      const valid = new Set(validIds);
      const dead = deadLetters();
      // A record dead-lettered, then re-read after a SIGKILL before its checkpoint, is written again.
      const stageOf = new Map(dead.map((d) => [`${d.shardId}/${d.sequenceNumber}`, d.stage]));
      const counts = {
        validModels: validIds.length,
        storedRows: stored.reduce((sum, r) => sum + r.n, 0),
        validModelsStored: validIds.filter((id) => storedIds.has(id)).length,
        modelsStoredTwice: stored.filter((r) => r.n > 1).length,
        rowsNotValid: stored.filter((r) => r.id === null || !valid.has(r.id)).length,
        malformedRecords: malformedKeys.size,
        deadLetterEntries: dead.length,
        malformedDeadLettered: [...malformedKeys].filter((k) => stageOf.has(k)).length,
        deadLettersNotMalformed: [...stageOf.keys()].filter((k) => !malformedKeys.has(k)).length,
        emptyRecords: emptyKeys.size,
        emptyDeadLettered: [...emptyKeys].filter((k) => stageOf.has(k)).length,
        deadLettersRepeated: dead.length - stageOf.size,
        stages: Object.fromEntries(
          ['transform', 'encode', 'emit', 'filter'].map((s) => [
            s,
            [...stageOf.values()].filter((stage) => stage === s).length,
          ]),
        ),
      };
      console.log(`poison mix, ${KILL_AT_ROWS.length} SIGKILLs: ${JSON.stringify(counts)}`);

      expect(health.status).toBe(200);
      expect(JSON.parse(healthBody)).toMatchObject({ status: 'ok' });
      expect(counts).toMatchObject({
        storedRows: validIds.length,
        validModelsStored: validIds.length,
        modelsStoredTwice: 0,
        rowsNotValid: 0,
        malformedDeadLettered: malformedKeys.size,
        deadLettersNotMalformed: 0,
        emptyRecords: EMPTY_ARRAYS,
        emptyDeadLettered: 0,
        stages: { transform: NOT_JSON + LARGE_NOT_JSON, encode: DEEP_ARRAYS, emit: NUL_STRINGS, filter: 0 },
      });
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
      kinesis.destroy();
      await pool.query(`drop table if exists "${table}"`);
      await pool.end();
    }
  }, 150_000);
});
