/**
 * PostgresEmitter against a real server: what one record's data does is that record's failure (dead-lettered),
 * what the table or the server does is the destination's (thrown, retried); the models of one record are
 * told apart by model_index.
 */
import pg from 'pg';
import { bufferedItem, emitBatch } from '../../../../test/support/emit-batches.js';
import { databaseUrl, uniqueName } from '../../../../test/support/harness.js';
import type { BufferedItem } from '../interfaces.js';
import { createJsonTable, jsonColumns, PostgresEmitter, PostgresSchemaError } from './postgres-emitter.js';

const seq = (n: number) => `4962${'0'.repeat(40)}${String(n).padStart(12, '0')}`;
/** The record's bytes do not matter here (and JSON.stringify refuses some of these models). */
const item = (model: unknown, n: number, modelIndex = 0): BufferedItem<unknown> =>
  bufferedItem(model, { sequenceNumber: seq(n), modelIndex }, () => Buffer.from(`record ${n}`));

describe('PostgresEmitter: record-level and destination-level errors', () => {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 4 });
  const tables: string[] = [];
  const newTable = (prefix: string) => {
    const name = uniqueName(prefix).replace(/-/g, '_');
    tables.push(name);
    return name;
  };
  const rows = async (table: string, columns = 'sequence_number::text AS seq, model_index, data') =>
    (await pool.query(`SELECT ${columns} FROM "${table}" ORDER BY sequence_number, model_index`)).rows;

  afterAll(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });

  it('writes every model of a JSON array record (model_index), once, replays included', async () => {
    const table = newTable('pg_models');
    await createJsonTable(pool, table);
    const emitter = new PostgresEmitter<unknown>({ pool, table, columns: jsonColumns });
    const items = [item('a', 1, 0), item('b', 1, 1), item({ c: [1] }, 1, 2), item('d', 2, 0)];
    await expect(emitter.emit(emitBatch(items))).resolves.toEqual([]);
    await expect(emitter.emit(emitBatch(items))).resolves.toEqual([]); // a replay
    expect(await rows(table)).toEqual([
      { seq: seq(1), model_index: 0, data: 'a' },
      { seq: seq(1), model_index: 1, data: 'b' },
      { seq: seq(1), model_index: 2, data: { c: [1] } },
      { seq: seq(2), model_index: 0, data: 'd' },
    ]);
  });

  it('migrates a table of an earlier version: model_index added (0 for old rows) and in the primary key', async () => {
    const table = newTable('pg_old');
    await pool.query(
      `CREATE TABLE "${table}" (shard_id text NOT NULL, sequence_number numeric NOT NULL,
        sub_sequence_number integer NOT NULL, data jsonb NOT NULL,
        PRIMARY KEY (shard_id, sequence_number, sub_sequence_number))`,
    );
    await pool.query(`INSERT INTO "${table}" VALUES ('shardId-000000000000', ${seq(1)}, 0, '"old"')`);
    await createJsonTable(pool, table);
    await createJsonTable(pool, table); // idempotent
    const emitter = new PostgresEmitter<unknown>({ pool, table, columns: jsonColumns });
    await emitter.emit(emitBatch([item('old', 1, 0), item('x', 2, 0), item('y', 2, 1)]));
    expect(await rows(table)).toEqual([
      { seq: seq(1), model_index: 0, data: 'old' },
      { seq: seq(2), model_index: 0, data: 'x' },
      { seq: seq(2), model_index: 1, data: 'y' },
    ]);
  });

  it('fails only the row naming a column the table lacks, even alone in its batch (was: thrown forever)', async () => {
    const table = newTable('pg_unknown');
    await pool.query(
      `CREATE TABLE "${table}" (a int, b text, shard_id text, sequence_number numeric, sub_sequence_number int,
        model_index int, PRIMARY KEY (shard_id, sequence_number, sub_sequence_number, model_index))`,
    );
    const emitter = new PostgresEmitter<unknown>({
      pool,
      table,
      columns: ({ model }) => model as Record<string, unknown>,
    });
    const items = [item({ a: 1 }, 1), item({ a: 2, nope: 'x' }, 2), item({ b: 'three' }, 3)];
    items.push(item(JSON.parse('{"a": 4, "__proto__": {"polluted": true}}'), 4));
    const failed = await emitter.emit(emitBatch(items));
    expect(failed.map((f) => f.item)).toEqual([items[1], items[3]]);
    expect(failed[0].error).toMatch(/column "nope" does not exist.*42703/);
    expect(failed[1].error).toMatch(/column "__proto__" does not exist/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await rows(table, 'a, b')).toEqual([
      { a: 1, b: null },
      { a: null, b: 'three' },
    ]);
    // One record alone in its batch: still the record's failure, not an outage.
    await expect(emitter.emit(emitBatch([item({ a: 5, other: 1 }, 5)]))).resolves.toMatchObject([
      { error: expect.stringMatching(/"other" does not exist/) },
    ]);
    // A column added meanwhile is found (the catalog is looked up again).
    await pool.query(`ALTER TABLE "${table}" ADD COLUMN other int`);
    await expect(emitter.emit(emitBatch([item({ a: 6, other: 1 }, 6)]))).resolves.toEqual([]);
  });

  it('fails only the row giving a value to a GENERATED ALWAYS column (was: 428C9 thrown, shard stalled)', async () => {
    const table = newTable('pg_generated');
    await pool.query(
      `CREATE TABLE "${table}" (a int, doubled int GENERATED ALWAYS AS (a * 2) STORED,
        n int GENERATED ALWAYS AS IDENTITY, shard_id text, sequence_number numeric, sub_sequence_number int,
        model_index int, PRIMARY KEY (shard_id, sequence_number, sub_sequence_number, model_index))`,
    );
    const emitter = new PostgresEmitter<unknown>({
      pool,
      table,
      columns: ({ model }) => model as Record<string, unknown>,
    });
    const items = [item({ a: 1 }, 1), item({ a: 2, doubled: 5 }, 2), item({ a: 3, n: 9 }, 3)];
    items.push(item({ a: 4, doubled: undefined }, 4)); // undefined: DEFAULT, which a generated column takes
    const failed = await emitter.emit(emitBatch(items));
    expect(failed.map((f) => f.item)).toEqual([items[1], items[2]]);
    expect(failed[0].error).toMatch(/"doubled" .* is generated.*428C9/);
    expect(failed[1].error).toMatch(/"n" .* is generated.*428C9/);
    expect(await rows(table, 'a, doubled')).toEqual([
      { a: 1, doubled: 2 },
      { a: 4, doubled: 8 },
    ]);
    // A column every row is written with that the server computes is the table's fault: thrown.
    const json = new PostgresEmitter<unknown>({
      pool,
      table,
      columns: ({ model }) => ({ doubled: model }),
      requiredColumns: ['doubled'],
    });
    await expect(json.emit(emitBatch([item(1, 5)]))).rejects.toThrow(/computes column "doubled"/);
  });

  it('fails a row whose value node-postgres cannot convert, before any SQL', async () => {
    const table = newTable('pg_values');
    await createJsonTable(pool, table);
    const deep = JSON.parse(`${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    const emitter = new PostgresEmitter<unknown>({ pool, table, columns: ({ model }) => ({ data: model }) });
    const items = [item({ ok: 1 }, 1), item({ big: 1n }, 2), item({ deep }, 3), item({ ok: 4 }, 4)];
    const failed = await emitter.emit(emitBatch(items));
    expect(failed.map((f) => f.item)).toEqual([items[1], items[2]]);
    expect(failed.every((f) => f.error.startsWith('columns: '))).toBe(true);
    expect((await rows(table)).map((r) => r.data)).toEqual([{ ok: 1 }, { ok: 4 }]);
  });

  it('throws (destination) when the table lacks a column every row is written with', async () => {
    const table = newTable('pg_schema');
    await pool.query(
      `CREATE TABLE "${table}" (shard_id text, sequence_number numeric, sub_sequence_number int,
        model_index int, body text, PRIMARY KEY (shard_id, sequence_number, sub_sequence_number, model_index))`,
    );
    const json = new PostgresEmitter<unknown>({ pool, table, columns: jsonColumns }); // needs `data`
    await expect(json.emit(emitBatch([item(1, 1)]))).rejects.toThrow(PostgresSchemaError);
    const declared = new PostgresEmitter<unknown>({
      pool,
      table,
      columns: ({ model }) => ({ payload: model }),
      requiredColumns: ['payload'],
    });
    await expect(declared.emit(emitBatch([item('x', 1)]))).rejects.toThrow(/no column "payload"/);
    const missing = new PostgresEmitter<unknown>({ pool, table: newTable('pg_none'), columns: jsonColumns });
    await expect(missing.emit(emitBatch([item(1, 1)]))).rejects.toThrow(/does not exist/);
  });

  it('fails a hung statement after queryTimeoutMs (destination unavailable) instead of stalling', async () => {
    const table = newTable('pg_hung');
    await createJsonTable(pool, table);
    const locker = await pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
      const emitter = new PostgresEmitter<unknown>({
        pool,
        table,
        columns: jsonColumns,
        queryTimeoutMs: 300,
      });
      await expect(emitter.emit(emitBatch([item(1, 1)]))).rejects.toThrow(/timeout/i);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
  });
});
