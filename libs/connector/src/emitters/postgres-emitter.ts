import type { Pool } from 'pg';
import { quoteIdentifier } from '../identifiers.js';
import type { BufferedItem, EmitBatch, Emitter, FailedItem } from '../interfaces.js';

/** Bind parameters per statement: the protocol counts them in 16 bits. */
export const MAX_POSTGRES_PARAMETERS = 65_535;

/** Where each row came from; with a unique key on them, a replayed batch inserts nothing new. */
export const PROVENANCE_COLUMNS = ['shard_id', 'sequence_number', 'sub_sequence_number'] as const;

export interface PostgresEmitterOptions<T> {
  /** The caller's pool: the emitter never ends it. */
  pool: Pool;
  /** `name` or `schema.name`. */
  table: string;
  /**
   * The model's columns (the provenance columns are added). A key missing or `undefined` takes the column's
   * DEFAULT. Values go through node-postgres: objects become JSON, but arrays become Postgres arrays, so pass
   * `JSON.stringify(value)` for a json/jsonb column that may hold an array (see `jsonColumns`).
   */
  columns: (item: BufferedItem<T>) => Record<string, unknown>;
  /**
   * ON CONFLICT target (default: the provenance columns, which need a unique index). With a key of the
   * model's own (e.g. an order id), a row whose key is already there is skipped, replays included.
   */
  conflictKey?: string[];
}

interface Row<T> {
  item: BufferedItem<T>;
  values: Record<string, unknown>;
}

/**
 * Writes each batch with multi-row `INSERT ... ON CONFLICT (...) DO NOTHING`, so a batch emitted again
 * (after a crash before its checkpoint) is effectively written once.
 *
 * A statement failing for a row's data (SQLSTATE class 22 or 23: NOT NULL, CHECK, foreign key, a bad
 * value) is split in halves until the bad rows stand alone: they are returned as failed items and every
 * other row is inserted. Any other error (connection, server, a schema that does not fit) is thrown:
 * the destination is unavailable and the batch is retried as a whole.
 */
export class PostgresEmitter<T> implements Emitter<T> {
  private readonly table: string;
  private readonly conflict: string;

  constructor(private readonly options: PostgresEmitterOptions<T>) {
    this.table = quoteIdentifier(options.table);
    const target = options.conflictKey ?? [...PROVENANCE_COLUMNS];
    if (target.length === 0) throw new TypeError('conflictKey must name at least one column');
    this.conflict = target.map(quoteIdentifier).join(', ');
  }

  async emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    const failed: FailedItem<T>[] = [];
    const rows: Row<T>[] = [];
    for (const item of batch.items) {
      try {
        rows.push({ item, values: this.options.columns(item) });
      } catch (error) {
        failed.push({ item, error: `columns: ${message(error)}` });
      }
    }
    if (rows.length === 0) return failed;
    // Every identifier is checked before any SQL is built or sent.
    const names = columnNames(rows);
    const quoted = [...names.map(quoteIdentifier), ...PROVENANCE_COLUMNS.map(quoteIdentifier)];
    const provenance = (item: BufferedItem<T>) => [
      batch.shardId,
      item.record.sequenceNumber,
      item.record.subSequenceNumber,
    ];
    const tuples = rows.map((row) => ({
      item: row.item,
      values: [...names.map((name) => row.values[name]), ...provenance(row.item)],
    }));
    const perStatement = Math.max(1, Math.floor(MAX_POSTGRES_PARAMETERS / quoted.length));
    for (let i = 0; i < tuples.length; i += perStatement) {
      await this.insert(quoted, tuples.slice(i, i + perStatement), failed);
    }
    return failed;
  }

  /** The pool is the caller's. */
  async shutdown(): Promise<void> {}

  /** Inserts `tuples`; on a row-level error, bisects to find the bad rows (k bad rows: O(k log n) statements). */
  private async insert(columns: string[], tuples: Tuple<T>[], failed: FailedItem<T>[]): Promise<void> {
    const { text, values } = insertStatement(this.table, columns, tuples, this.conflict);
    try {
      await this.options.pool.query(text, values);
    } catch (error) {
      if (!isRowLevelError(error)) throw error;
      if (tuples.length === 1) {
        failed.push({ item: tuples[0].item, error: failureMessage(error) });
        return;
      }
      const half = Math.ceil(tuples.length / 2);
      await this.insert(columns, tuples.slice(0, half), failed);
      await this.insert(columns, tuples.slice(half), failed);
    }
  }
}

interface Tuple<T> {
  item: BufferedItem<T>;
  values: unknown[];
}

/** The union of every row's column names, in order of first appearance; provenance names are reserved. */
function columnNames(rows: Row<unknown>[]): string[] {
  const names = new Set<string>();
  for (const row of rows) for (const name of Object.keys(row.values)) names.add(name);
  for (const name of names) {
    quoteIdentifier(name);
    if ((PROVENANCE_COLUMNS as readonly string[]).includes(name)) {
      throw new TypeError(
        `column "${name}" is written by the emitter (provenance); leave it out of columns()`,
      );
    }
  }
  return [...names];
}

/** `undefined` becomes DEFAULT (allowed in multi-row VALUES), everything else a $n parameter. */
export function insertStatement(
  table: string,
  columns: string[],
  tuples: Tuple<unknown>[],
  conflict: string,
): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const rows = tuples.map(
    (tuple) =>
      `(${tuple.values
        .map((value) => (value === undefined ? 'DEFAULT' : `$${values.push(value)}`))
        .join(', ')})`,
  );
  return {
    text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT (${conflict}) DO NOTHING`,
    values,
  };
}

/**
 * A row's data is at fault: data exceptions (22: bad input, out of range, too long), integrity violations
 * (23: NOT NULL, CHECK, foreign key, another unique key) and 54000 (e.g. an index row too large).
 * Connection errors have no SQLSTATE; the rest (08, 40, 42, 53, 57...) is about the server or schema.
 */
export function isRowLevelError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  return code.startsWith('22') || code.startsWith('23') || code === '54000';
}

function failureMessage(error: unknown): string {
  const e = error as { code?: string; detail?: string };
  return `${message(error)}${e.detail ? ` (${e.detail})` : ''}${e.code ? ` [SQLSTATE ${e.code}]` : ''}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Columns for `createJsonTable`: the model as JSON text (so an array stays a JSON array). */
export function jsonColumns<T>(item: BufferedItem<T>): Record<string, unknown> {
  return { data: JSON.stringify(item.model) };
}

/**
 * Creates (if absent) a table for a JSON model: the provenance columns as primary key, so the default
 * ON CONFLICT target works, and `data jsonb`. `sequence_number` is numeric: it sorts like Kinesis does.
 */
export async function createJsonTable(pool: Pick<Pool, 'query'>, table: string): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(table)} (
      shard_id text NOT NULL,
      sequence_number numeric NOT NULL,
      sub_sequence_number integer NOT NULL,
      data jsonb NOT NULL,
      PRIMARY KEY (shard_id, sequence_number, sub_sequence_number)
    )`,
  );
}
