/**
 * createJsonTable's migration of an earlier layout (no model_index) against a real server: instances starting
 * together, and a pool whose statement_timeout is shorter than rebuilding the primary key takes.
 */
import pg from 'pg';
import { databaseUrl, uniqueName } from '../../../../test/support/harness.js';
import { createJsonTable } from './postgres-schema.js';

describe('createJsonTable: migrating a table of an earlier version', () => {
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 6 });
  const tables: string[] = [];

  /** A table as the version before model_index created it, with `rows` rows (and a primary key named `key`). */
  const oldTable = async (prefix: string, rows: number, key = `${prefix}_pkey`) => {
    const name = uniqueName(prefix).replace(/-/g, '_');
    tables.push(name);
    await pool.query(
      `CREATE TABLE "${name}" (shard_id text NOT NULL, sequence_number numeric NOT NULL,
        sub_sequence_number integer NOT NULL, data jsonb NOT NULL,
        CONSTRAINT "${key}" PRIMARY KEY (shard_id, sequence_number, sub_sequence_number))`,
    );
    await pool.query(
      `INSERT INTO "${name}" SELECT 'shardId-000000000000', n, 0, '{}' FROM generate_series(1, $1) AS n`,
      [rows],
    );
    return name;
  };
  const primaryKey = async (table: string) =>
    (
      await pool.query(
        `SELECT array_agg(a.attname::text ORDER BY a.attnum) AS columns FROM pg_catalog.pg_constraint c
           JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
          WHERE c.conrelid = to_regclass($1) AND c.contype = 'p'`,
        [`"${table}"`],
      )
    ).rows[0].columns;
  const migrated = ['shard_id', 'sequence_number', 'sub_sequence_number', 'model_index'];

  afterAll(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}"`);
    await pool.end();
  });

  it('lets instances starting together migrate one after the other (was: 42704 for one of them)', async () => {
    // A key named otherwise than Postgres names the new one: the old code's second DROP CONSTRAINT found none.
    const table = await oldTable('pg_race', 200_000, 'orders_key');
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => createJsonTable(pool, table)));
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
    expect(await primaryKey(table)).toEqual(migrated);
    const { rows } = await pool.query(`SELECT count(*)::int AS n, max(model_index) AS m FROM "${table}"`);
    expect(rows).toEqual([{ n: 200_000, m: 0 }]);
  });

  it('creates a missing table from instances starting together', async () => {
    const table = uniqueName('pg_create_race').replace(/-/g, '_');
    tables.push(table);
    await Promise.all(Array.from({ length: 4 }, () => createJsonTable(pool, table)));
    expect(await primaryKey(table)).toEqual(migrated);
  });

  it('is not cut by the pool statement_timeout (was: 57014 at every start on a big table)', async () => {
    const table = await oldTable('pg_slow', 300_000);
    const hurried = new pg.Pool({ connectionString: databaseUrl(), max: 2, statement_timeout: 20 });
    try {
      // The pool's timeout is real: rebuilding the key through it is cancelled.
      await expect(
        hurried.query(`CREATE UNIQUE INDEX ON "${table}" (shard_id, sequence_number, sub_sequence_number)`),
      ).rejects.toMatchObject({ code: '57014' });
      await createJsonTable(hurried, table);
    } finally {
      await hurried.end();
    }
    expect(await primaryKey(table)).toEqual(migrated);
  });
});
