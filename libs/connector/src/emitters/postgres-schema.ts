/**
 * What PostgresEmitter knows about its table: the provenance columns, the table's actual columns (to tell a
 * record naming an unknown column from a table that lacks a column every record needs), the JSON table it can
 * create, and which SQLSTATEs are a row's fault.
 */
import type { Pool, QueryConfig } from 'pg';
import { KinesisError } from '../../../kinesis/src/index.js';
import { quoteIdentifier } from '../identifiers.js';

/**
 * Where each row came from; with a unique key on them, a replayed batch inserts nothing new. `model_index`
 * tells apart the models of one record (a JSON array record yields one row per element).
 */
export const PROVENANCE_COLUMNS = [
  'shard_id',
  'sequence_number',
  'sub_sequence_number',
  'model_index',
] as const;

/**
 * The table lacks a column every row is written with (provenance, conflict key, required), or computes one
 * (GENERATED ALWAYS, so it takes no value): the destination.
 */
export class PostgresSchemaError extends KinesisError {
  constructor(
    readonly table: string,
    readonly missing: string[],
    readonly problem: 'missing' | 'generated' = 'missing',
  ) {
    const names = missing.map((m) => JSON.stringify(m)).join(', ');
    super(
      missing.length === 0
        ? `table ${table} does not exist`
        : problem === 'generated'
          ? `table ${table} computes column ${names} (GENERATED ALWAYS): it cannot be written; fix the schema`
          : `table ${table} has no column ${names}: fix the schema (see createJsonTable)`,
    );
  }
}

/** A table's columns as the catalog has them. */
export interface TableColumns {
  /** Every column name (exact case); empty when the table does not exist. */
  names: Set<string>;
  /**
   * Columns the server computes and refuses a value for (SQLSTATE 428C9): GENERATED ALWAYS AS (...) and
   * GENERATED ALWAYS AS IDENTITY. (BY DEFAULT identity columns take a value: not listed.)
   */
  generated: Set<string>;
}

/** The table's columns from the catalog (names, and which ones refuse a value). */
export async function tableColumns(
  pool: Pick<Pool, 'query'>,
  quotedTable: string,
  queryTimeoutMs?: number,
): Promise<TableColumns> {
  const { rows } = await pool.query<{ attname: string; generated: boolean }>({
    text: `SELECT attname, (attgenerated <> '' OR attidentity = 'a') AS generated FROM pg_catalog.pg_attribute
           WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    values: [quotedTable],
    ...(queryTimeoutMs ? { query_timeout: queryTimeoutMs } : {}),
  } as never);
  return {
    names: new Set(rows.map((r) => r.attname)),
    generated: new Set(rows.filter((r) => r.generated).map((r) => r.attname)),
  };
}

/**
 * A row's data is at fault, so the batch is bisected to the rows that fail alone: data exceptions (22: bad
 * input, out of range, too long, a NUL byte), integrity violations (23: NOT NULL, CHECK, foreign key, another
 * unique key), 54000 (an index row too large) and 42804 (datatype mismatch: parameters are untyped, so only a
 * row's value shape, e.g. DEFAULT against a typed expression, reaches it). Everything else is the destination:
 * no SQLSTATE (connection refused or lost, a query timeout), 08 connection, 40001/40P01 serialization and
 * deadlock (retried whole), 53 resources, 57 operator intervention (57014: statement_timeout), 42P01 missing
 * table, 42501 privilege, 42703 (a column missing at insert time after the catalog check: the table changed).
 */
export function isRowLevelError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  return code.startsWith('22') || code.startsWith('23') || code === '54000' || code === '42804';
}

/** Longest timer Node accepts: the DDL's client-side timeout (the pool's `query_timeout` would cut it). */
const NO_CLIENT_TIMEOUT = 2_147_483_647;

/**
 * Creates (if absent) a table for a JSON model: the provenance columns as primary key, so the default ON
 * CONFLICT target works, and `data jsonb`. `sequence_number` is numeric: it sorts like Kinesis does.
 * A table created by an earlier version (no `model_index`) is migrated: the column is added (existing rows
 * get 0) and the primary key extended to it.
 *
 * The DDL runs on one client of the pool, in a transaction that lifts the pool's timeouts (rebuilding the
 * primary key of a big table takes as long as it takes) and holds an advisory lock derived from the table
 * name, so instances starting together migrate one after the other: each reads the table's layout after
 * taking the lock and does only what is still missing.
 */
export async function createJsonTable(pool: Pick<Pool, 'connect'>, table: string): Promise<void> {
  const name = quoteIdentifier(table);
  const client = await pool.connect();
  const run: Run = (text, values = []) =>
    client.query({ text, values, query_timeout: NO_CLIENT_TIMEOUT } as QueryConfig);
  try {
    await run('BEGIN');
    await run('SET LOCAL statement_timeout = 0');
    await run('SELECT pg_advisory_xact_lock(hashtext($1))', [`createJsonTable ${name}`]);
    await migrateJsonTable(run, name);
    await run('COMMIT');
    client.release();
  } catch (error) {
    await run('ROLLBACK').catch(() => undefined);
    client.release(error instanceof Error ? error : true); // a broken connection is not reused
    throw error;
  }
}

type Run = (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/** Under the lock: creates the table, or brings an earlier layout to the current one. */
async function migrateJsonTable(run: Run, name: string): Promise<void> {
  const { rows: columns } = await run(
    `SELECT attname FROM pg_catalog.pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [name],
  );
  if (columns.length === 0) {
    await run(
      `CREATE TABLE IF NOT EXISTS ${name} (
        shard_id text NOT NULL,
        sequence_number numeric NOT NULL,
        sub_sequence_number integer NOT NULL,
        model_index integer NOT NULL DEFAULT 0,
        data jsonb NOT NULL,
        PRIMARY KEY (shard_id, sequence_number, sub_sequence_number, model_index)
      )`,
    );
    return;
  }
  if (!columns.some((c) => c.attname === 'model_index')) {
    await run(`ALTER TABLE ${name} ADD COLUMN model_index integer NOT NULL DEFAULT 0`);
  }
  const { rows } = await run(
    `SELECT c.conname, array_agg(a.attname::text) AS columns
       FROM pg_catalog.pg_constraint c
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
      WHERE c.conrelid = to_regclass($1) AND c.contype = 'p'
      GROUP BY c.conname`,
    [name],
  );
  const key = rows[0] as { conname: string; columns: string[] } | undefined;
  if (key && !key.columns.includes('model_index')) {
    await run(
      `ALTER TABLE ${name} DROP CONSTRAINT "${key.conname.replace(/"/g, '""')}",
         ADD PRIMARY KEY (shard_id, sequence_number, sub_sequence_number, model_index)`,
    );
  }
}
