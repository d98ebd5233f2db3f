import pg from 'pg';
import { bufferedItem, emitBatch } from '../../../../test/support/emit-batches.js';
import { databaseUrl, uniqueName } from '../../../../test/support/harness.js';
import { InvalidIdentifierError } from '../errors.js';
import type { BufferedItem, EmitBatch } from '../interfaces.js';
import { createJsonTable, jsonColumns, PostgresEmitter } from './postgres-emitter.js';

const SHARD = 'shardId-000000000001';

const item = <T>(model: T, sequenceNumber: string, subSequenceNumber = 0): BufferedItem<T> =>
  bufferedItem(model, { sequenceNumber, subSequenceNumber });
const batch = <T>(items: BufferedItem<T>[]): EmitBatch<T> => emitBatch(items, { shardId: SHARD });

/** Sequence numbers shaped like Kinesis' (56 digits: beyond any JS number). */
const seq = (n: number) => `4962${'0'.repeat(40)}${String(n).padStart(12, '0')}`;

/** A pool stand-in that keeps the INSERT statements sent through it (catalog look-ups pass uncounted). */
function counting(pool: pg.Pool): { pool: pg.Pool; queries: () => number; texts: string[] } {
  const texts: string[] = [];
  const query = (...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text;
    if (text.startsWith('INSERT')) texts.push(text);
    return (pool.query as (...a: unknown[]) => unknown)(...args);
  };
  return { pool: { query, connect: query } as unknown as pg.Pool, queries: () => texts.length, texts };
}

describe('PostgresEmitter', () => {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 4 });
  const tables: string[] = [];
  const newTable = (prefix: string) => {
    const name = uniqueName(prefix).replace(/-/g, '_');
    tables.push(name);
    return name;
  };
  const count = async (table: string) =>
    Number((await pool.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);

  afterAll(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });

  it('inserts the rows with their provenance columns', async () => {
    const table = newTable('pg_rows');
    await createJsonTable(pool, table);
    const emitter = new PostgresEmitter<{ id: number; tags: string[] }>({
      pool,
      table,
      columns: jsonColumns,
    });
    const items = [item({ id: 1, tags: ['a'] }, seq(1)), item({ id: 2, tags: [] }, seq(2), 0)];
    items.push(item({ id: 3, tags: ['b', 'c'] }, seq(2), 1));
    await expect(emitter.emit(batch(items))).resolves.toEqual([]);
    const { rows } = await pool.query(
      `SELECT shard_id, sequence_number::text AS seq, sub_sequence_number AS sub, data FROM "${table}"
       ORDER BY sequence_number, sub_sequence_number`,
    );
    expect(rows).toEqual([
      { shard_id: SHARD, seq: seq(1), sub: 0, data: { id: 1, tags: ['a'] } },
      { shard_id: SHARD, seq: seq(2), sub: 0, data: { id: 2, tags: [] } },
      { shard_id: SHARD, seq: seq(2), sub: 1, data: { id: 3, tags: ['b', 'c'] } },
    ]);
  });

  it('inserts nothing new when the same batch is emitted again (effectively once)', async () => {
    const table = newTable('pg_replay');
    await createJsonTable(pool, table);
    const emitter = new PostgresEmitter<{ n: number }>({ pool, table, columns: jsonColumns });
    const replayed = batch(Array.from({ length: 20 }, (_, i) => item({ n: i }, seq(i))));
    await emitter.emit(replayed);
    expect(await count(table)).toBe(20);
    await expect(emitter.emit(replayed)).resolves.toEqual([]);
    expect(await count(table)).toBe(20);
    // An overlapping batch (a replay that goes further) adds only the new rows.
    await emitter.emit(batch(Array.from({ length: 30 }, (_, i) => item({ n: i }, seq(i)))));
    expect(await count(table)).toBe(30);
  });

  it('uses the conflict key given: a row whose key is already there is skipped', async () => {
    const table = newTable('pg_key');
    await pool.query(
      `CREATE TABLE "${table}" (order_id text PRIMARY KEY, total int, note text DEFAULT 'none',
        shard_id text, sequence_number text, sub_sequence_number int, model_index int)`,
    );
    type Order = { orderId: string; total: number; note?: string };
    const emitter = new PostgresEmitter<Order>({
      pool,
      table,
      columns: ({ model }) => ({ order_id: model.orderId, total: model.total, note: model.note }),
      conflictKey: ['order_id'],
    });
    await emitter.emit(
      batch([
        item({ orderId: 'o1', total: 5 }, seq(1)),
        item({ orderId: 'o2', total: 7, note: 'gift' }, seq(2)),
      ]),
    );
    // The same orders again under new sequence numbers (a producer retry): the first writes stay.
    const again = [item({ orderId: 'o1', total: 99 }, seq(3)), item({ orderId: 'o3', total: 1 }, seq(4))];
    await expect(emitter.emit(batch(again))).resolves.toEqual([]);
    const { rows } = await pool.query(
      `SELECT order_id, total, note, sequence_number FROM "${table}" ORDER BY order_id`,
    );
    expect(rows).toEqual([
      { order_id: 'o1', total: 5, note: 'none', sequence_number: seq(1) },
      { order_id: 'o2', total: 7, note: 'gift', sequence_number: seq(2) },
      { order_id: 'o3', total: 1, note: 'none', sequence_number: seq(4) },
    ]);
  });

  it('returns the rows violating NOT NULL / CHECK as failed items and inserts all the others', async () => {
    const table = newTable('pg_bad');
    await pool.query(
      `CREATE TABLE "${table}" (amount int NOT NULL CHECK (amount >= 0), shard_id text, sequence_number numeric,
        sub_sequence_number int, model_index int, PRIMARY KEY (shard_id, sequence_number, sub_sequence_number, model_index))`,
    );
    const amounts = [1, 2, -5, 3, null, 4, 5, 6, 7, 'x'];
    const items = amounts.map((amount, i) => item({ amount }, seq(i)));
    const emitter = new PostgresEmitter<{ amount: unknown }>({
      pool,
      table,
      columns: ({ model }) => ({ amount: model.amount }),
    });
    const failed = await emitter.emit(batch(items));
    expect(failed.map((f) => f.item)).toEqual([items[2], items[4], items[9]]);
    expect(failed[0].error).toMatch(/check constraint/);
    expect(failed[0].error).toMatch(/SQLSTATE 23514/);
    expect(failed[1].error).toMatch(/null value in column "amount"/);
    expect(failed[2].error).toMatch(/invalid input syntax for type integer/);
    const { rows } = await pool.query(`SELECT amount FROM "${table}" ORDER BY sequence_number`);
    expect(rows.map((r) => r.amount)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('refuses invalid table names before any SQL, and fails only the rows with an invalid column name', async () => {
    const spy = counting(pool);
    const columns = () => ({ ok: 1 });
    expect(() => new PostgresEmitter({ pool: spy.pool, table: 'x; DROP TABLE y', columns })).toThrow(
      InvalidIdentifierError,
    );
    expect(() => new PostgresEmitter({ pool: spy.pool, table: 'a.b.c', columns })).toThrow(
      InvalidIdentifierError,
    );
    expect(
      () => new PostgresEmitter({ pool: spy.pool, table: 'fine', columns, conflictKey: ['id"--'] }),
    ).toThrow(InvalidIdentifierError);
    const table = newTable('pg_names');
    await pool.query(
      `CREATE TABLE "${table}" (ok int, good int, shard_id text, sequence_number numeric,
        sub_sequence_number int, model_index int, PRIMARY KEY (shard_id, sequence_number, sub_sequence_number, model_index))`,
    );
    const emitter = new PostgresEmitter<{ k: string }>({
      pool: spy.pool,
      table: `public.${table}`,
      columns: ({ model }) => ({ ok: 1, [model.k]: 2 }),
    });
    const items = [item({ k: 'good' }, seq(1)), item({ k: 'bad name' }, seq(2))];
    items.push(item({ k: 'x") VALUES (1); --' }, seq(3)));
    const failed = await emitter.emit(batch(items));
    expect(failed.map((f) => f.item)).toEqual([items[1], items[2]]);
    expect(failed[0].error).toMatch(/not a valid SQL identifier/);
    expect(await count(table)).toBe(1);
    expect(spy.texts.join('\n')).not.toMatch(/bad name|VALUES \(1\)/);
    // A batch of only refused rows sends no statement at all.
    const before = spy.queries();
    await expect(emitter.emit(batch([item({ k: 'no-no' }, seq(4))]))).resolves.toHaveLength(1);
    expect(spy.queries()).toBe(before);
  });

  it('throws (destination unavailable) when the server cannot be reached', async () => {
    const unreachable = new pg.Pool({
      connectionString: 'postgres://postgres@127.0.0.1:1/test',
      connectionTimeoutMillis: 2_000,
    });
    try {
      const emitter = new PostgresEmitter<{ n: number }>({
        pool: unreachable,
        table: 'anything',
        columns: jsonColumns,
      });
      await expect(emitter.emit(batch([item({ n: 1 }, seq(1))]))).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    } finally {
      await unreachable.end();
    }
  });

  it('splits a batch over the 65,535-parameter limit into several statements', async () => {
    const table = newTable('pg_chunk');
    await pool.query(
      `CREATE TABLE "${table}" (n int, shard_id text, sequence_number numeric, sub_sequence_number int,
        model_index int, PRIMARY KEY (shard_id, sequence_number, sub_sequence_number, model_index))`,
    );
    const spy = counting(pool);
    const emitter = new PostgresEmitter<{ n: number }>({
      pool: spy.pool,
      table,
      columns: ({ model }) => model,
    });
    // 30,000 rows x 5 parameters = 150,000: 3 statements of at most 13,107 rows.
    const items = Array.from({ length: 30_000 }, (_, i) => item({ n: i }, seq(i)));
    await expect(emitter.emit(batch(items))).resolves.toEqual([]);
    expect(spy.queries()).toBe(3);
    const { rows } = await pool.query(`SELECT count(*)::int AS n, sum(n)::bigint AS s FROM "${table}"`);
    expect(rows[0]).toEqual({ n: 30_000, s: String((29_999 * 30_000) / 2) });
  }, 60_000);
});
