/**
 * The connector as a user runs it (kinesalite, Postgres, a dead-letter file) fed a poison mix: every valid
 * model ends up in the table once, every malformed record in the dead letters once, nothing else, and the
 * checkpoint reaches the end of each shard. And a stop() bounded whatever the emitter does.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import pg from 'pg';
import {
  Connector,
  FileDeadLetterSink,
  JsonTransformer,
  PipelineCounters,
  type DeadLetterEntry,
  type Emitter,
} from '../../libs/connector/src/index.js';
import { createJsonTable, jsonColumns, PostgresEmitter } from '../../src/connector/postgres/index.js';
import { ensureStream, MemoryCheckpointStore, silentLogger } from '../../libs/kinesis/src/index.js';
import { databaseUrl, eventually, kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { readStream } from '../support/stream-reader.js';

const DEEP = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;

const readDead = (path: string): DeadLetterEntry[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

describe('connector fed poison records (kinesalite, Postgres)', () => {
  let kinesis: KinesisClient;
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 4 });
  const tables: string[] = [];
  beforeAll(() => (kinesis = kinesisClient('kinesalite')));
  afterAll(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
    kinesis.destroy();
  });

  it('stores every valid model once and dead-letters every malformed record once; checkpoints reach the end', async () => {
    const streamName = uniqueName('poison');
    await ensureStream(kinesis, streamName, { shardCount: 2 });
    const table = uniqueName('poison').replace(/-/g, '_');
    tables.push(table);
    await createJsonTable(pool, table);
    const deadPath = join(mkdtempSync(join(tmpdir(), 'poison-')), 'dead.jsonl');
    const store = new MemoryCheckpointStore();
    const counters = new PipelineCounters();
    const connector = new Connector<unknown>({
      client: kinesis,
      streamName,
      checkpointStore: store,
      transformer: new JsonTransformer(),
      emitter: new PostgresEmitter({ pool, table, columns: jsonColumns }),
      deadLetter: new FileDeadLetterSink(deadPath),
      bufferLimits: { maxRecords: 40, maxAgeMs: 200 },
      observer: counters,
      logger: silentLogger,
      consumer: { pollIntervalMs: 50 },
      pipeline: { backoff: { baseMs: 10, maxMs: 50 }, ageCheckIntervalMs: 25 },
    });
    const valid = Array.from({ length: 200 }, (_, n) => ({ data: JSON.stringify({ n }), key: `k${n % 7}` }));
    const poison = [
      ...Array.from({ length: 5 }, (_, i) => ({ data: `{not json ${i}`, key: `bad${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ data: DEEP, key: `deep${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({
        data: JSON.stringify([{ a: i }, { b: i }, { c: i }]),
        key: `arr${i}`,
      })),
      ...Array.from({ length: 3 }, (_, i) => ({ data: '[]', key: `empty${i}` })),
      ...Array.from({ length: 3 }, (_, i) => ({
        data: `{"__proto__": {"polluted": ${i}}, "p": ${i}}`,
        key: `proto${i}`,
      })),
      ...Array.from({ length: 2 }, (_, i) => ({
        data: JSON.stringify({ big: 'x'.repeat(900_000), i }),
        key: `big${i}`,
      })),
    ];
    const mixed = [...valid, ...poison].sort(() => Math.random() - 0.5);
    try {
      await connector.start();
      await putRaw(kinesis, streamName, mixed);
      const expectedRows = 200 + 15 + 3 + 2;
      await eventually(async () => counters.emittedCount >= expectedRows && readDead(deadPath).length >= 10, {
        timeoutMs: 30_000,
        message: 'every model stored and every malformed record dead-lettered',
      });
      await connector.stop();

      const { rows } = await pool.query(`SELECT data, model_index FROM "${table}"`);
      expect(rows).toHaveLength(expectedRows);
      expect(
        rows
          .filter((r) => typeof r.data.n === 'number')
          .map((r) => r.data.n)
          .sort((a, b) => a - b),
      ).toEqual(valid.map((_, n) => n));
      expect(
        rows
          .filter((r) => 'a' in r.data || 'b' in r.data || 'c' in r.data)
          .map((r) => r.model_index)
          .sort(),
      ).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
      expect(rows.filter((r) => Object.hasOwn(r.data, '__proto__'))).toHaveLength(3);
      expect(rows.filter((r) => typeof r.data.big === 'string')).toHaveLength(2);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      const dead = readDead(deadPath);
      expect(dead).toHaveLength(10);
      expect(dead.filter((d) => d.stage === 'transform')).toHaveLength(5);
      expect(dead.filter((d) => d.stage === 'encode' && d.modelIndex === 0)).toHaveLength(5);
      expect(counters.emptyCount).toBe(3);

      for (const shard of await readStream(kinesis, streamName)) {
        const last = shard.records.at(-1)!.sequenceNumber;
        expect((await store.get(streamName, shard.shardId))?.sequenceNumber).toBe(last);
      }
    } finally {
      await connector.stop();
    }
  }, 60_000);

  it('stop() returns within shutdownTimeoutMs when an emit never settles, and checkpoints nothing', async () => {
    const streamName = uniqueName('hung');
    await ensureStream(kinesis, streamName, { shardCount: 1 });
    const store = new MemoryCheckpointStore();
    const counters = new PipelineCounters();
    let emits = 0;
    const hanging: Emitter<unknown> = {
      emit: () => {
        emits++;
        return new Promise(() => undefined);
      },
      shutdown: () => new Promise(() => undefined),
    };
    const connector = new Connector<unknown>({
      client: kinesis,
      streamName,
      checkpointStore: store,
      transformer: new JsonTransformer(),
      emitter: hanging,
      deadLetter: { write: async () => undefined },
      bufferLimits: { maxRecords: 2, maxAgeMs: 100 },
      observer: counters,
      logger: silentLogger,
      consumer: { pollIntervalMs: 50 },
      pipeline: { shutdownTimeoutMs: 500 },
    });
    await connector.start();
    await putRaw(
      kinesis,
      streamName,
      [1, 2, 3, 4, 5].map((n) => ({ data: String(n), key: 'k' })),
    );
    await eventually(() => counters.recordsRead === 5 && emits > 0, {
      message: 'records read, an emit started',
    });
    await connector.stop();
    expect(await store.get(streamName, 'shardId-000000000000')).toBeUndefined();
  }, 15_000);
});
