import type { Pool } from 'pg';
import { loadPrepareValue, type PrepareValue } from '../drivers.js';
import { quoteIdentifier } from '../identifiers.js';
import type { BufferedItem, EmitBatch, Emitter, FailedItem } from '../interfaces.js';
import {
  isRowLevelError,
  PostgresSchemaError,
  PROVENANCE_COLUMNS,
  tableColumns,
  type TableColumns,
} from './postgres-schema.js';

export {
  createJsonTable,
  isRowLevelError,
  PostgresSchemaError,
  PROVENANCE_COLUMNS,
} from './postgres-schema.js';

/** Bind parameters per statement: the protocol counts them in 16 bits. */
export const MAX_POSTGRES_PARAMETERS = 65_535;

/** Default client-side timeout of each statement, ms. */
export const DEFAULT_POSTGRES_QUERY_TIMEOUT_MS = 30_000;

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
  /**
   * Columns every row is written with by configuration, not derived from the data (default `['data']` with
   * `jsonColumns`, else none). The table lacking one of these, a provenance or a conflict-key column is a
   * schema error: thrown (the destination), not blamed on each record. A column the table lacks that is not
   * among them is the record's: that row fails alone (dead-lettered).
   */
  requiredColumns?: string[];
  /**
   * Client-side timeout of each statement, ms (node-postgres `query_timeout`; default 30,000, 0 = none): a
   * hung query fails (destination unavailable, retried) instead of stalling the shard. Server-side
   * `statement_timeout` is the pool's configuration.
   */
  queryTimeoutMs?: number;
}

interface Row<T> {
  item: BufferedItem<T>;
  /** Column name -> value as node-postgres sends it (undefined: DEFAULT). A Map: names come from data. */
  values: Map<string, unknown>;
}

/**
 * Writes each batch with multi-row `INSERT ... ON CONFLICT (...) DO NOTHING`, so a batch emitted again
 * (after a crash before its checkpoint) is effectively written once: the key includes `model_index`.
 *
 * Record-level (returned as failed items, the other rows inserted):
 * - `columns()` throwing, a column name that is not a plain identifier or is a provenance name, a value
 *   node-postgres cannot convert (e.g. an object JSON.stringify refuses): found before any SQL;
 * - a column the table does not have (42703), unless it is required (see `requiredColumns`), or a value for a
 *   column the server computes (GENERATED ALWAYS, 428C9): found against the table's catalog columns (looked
 *   up once, again when a row names an unknown one);
 * - a statement failing for a row's data (see isRowLevelError): split in halves until the bad rows stand alone.
 * Destination-level (thrown, the batch retried whole): connection errors, timeouts, a missing table, a
 * required column missing or computed by the server, and every other SQLSTATE (428C9 at insert time: the
 * table changed after the look-up, which is done again before the retry).
 */
export class PostgresEmitter<T> implements Emitter<T> {
  private readonly table: string;
  private readonly conflict: string;
  private readonly required: string[];
  private readonly timeout: { query_timeout?: number };
  /** The table's columns, from the catalog; undefined until looked up, or after the table changed. */
  private known: TableColumns | undefined;

  constructor(private readonly options: PostgresEmitterOptions<T>) {
    this.table = quoteIdentifier(options.table);
    const target = options.conflictKey ?? [...PROVENANCE_COLUMNS];
    if (target.length === 0) throw new TypeError('conflictKey must name at least one column');
    this.conflict = target.map(quoteIdentifier).join(', ');
    const required = options.requiredColumns ?? (options.columns === jsonColumns ? ['data'] : []);
    required.forEach(quoteIdentifier);
    this.required = [...new Set([...PROVENANCE_COLUMNS, ...target, ...required])];
    const timeout = options.queryTimeoutMs ?? DEFAULT_POSTGRES_QUERY_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout < 0) {
      throw new RangeError(`queryTimeoutMs must be >= 0, got ${timeout}`);
    }
    this.timeout = timeout > 0 ? { query_timeout: timeout } : {};
  }

  async emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    const failed: FailedItem<T>[] = [];
    const prepared: Row<T>[] = [];
    const prepareValue = await loadPrepareValue('PostgresEmitter');
    for (const item of batch.items) {
      try {
        prepared.push({ item, values: this.prepareRow(batch.shardId, item, prepareValue) });
      } catch (error) {
        failed.push({ item, error: `columns: ${message(error)}` });
      }
    }
    const rows = prepared.length > 0 ? await this.withKnownColumns(prepared, failed) : [];
    if (rows.length === 0) return failed;
    const names = columnNames(rows);
    const quoted = names.map(quoteIdentifier);
    const tuples = rows.map((row) => ({ item: row.item, values: names.map((name) => row.values.get(name)) }));
    const perStatement = Math.max(1, Math.floor(MAX_POSTGRES_PARAMETERS / quoted.length));
    for (let i = 0; i < tuples.length; i += perStatement) {
      await this.insert(quoted, tuples.slice(i, i + perStatement), failed);
    }
    return failed;
  }

  /** The pool is the caller's. */
  async shutdown(): Promise<void> {}

  /**
   * One row's columns, checked and converted (by node-postgres' own conversion, what pool.query would do, run
   * here where a throw fails this row only).
   */
  private prepareRow(
    shardId: string,
    item: BufferedItem<T>,
    prepareValue: PrepareValue,
  ): Map<string, unknown> {
    const given = this.options.columns(item);
    if (given === null || typeof given !== 'object') throw new TypeError('columns() returned no object');
    const values = new Map<string, unknown>();
    for (const name of Object.keys(given)) {
      quoteIdentifier(name); // InvalidIdentifierError: this row is refused, no SQL holds the name
      if ((PROVENANCE_COLUMNS as readonly string[]).includes(name)) {
        throw new TypeError(`column "${name}" is written by the emitter (provenance)`);
      }
      const value = (given as Record<string, unknown>)[name];
      values.set(name, value === undefined ? undefined : prepareValue(value));
    }
    const { sequenceNumber, subSequenceNumber } = item.record;
    for (const [name, value] of Object.entries({
      shard_id: shardId,
      sequence_number: sequenceNumber,
      sub_sequence_number: subSequenceNumber,
      model_index: item.modelIndex,
    })) {
      values.set(name, prepareValue(value));
    }
    return values;
  }

  /**
   * Fails the rows that name a column the table lacks or give a value to one the server computes; throws when
   * the table lacks a required column or computes one.
   */
  private async withKnownColumns(rows: Row<T>[], failed: FailedItem<T>[]): Promise<Row<T>[]> {
    const unknown = (row: Row<T>, known: TableColumns) =>
      [...row.values.keys()].filter((n) => !known.names.has(n));
    let known = this.known;
    if (!known || rows.some((row) => unknown(row, known!).length > 0)) {
      known = await this.lookUpColumns(); // first use, or the table may have changed
    }
    if (known.names.size === 0) throw new PostgresSchemaError(this.options.table, []);
    const missing = this.required.filter((name) => !known.names.has(name));
    if (missing.length > 0) throw new PostgresSchemaError(this.options.table, missing);
    const computed = this.required.filter((name) => known.generated.has(name));
    if (computed.length > 0) throw new PostgresSchemaError(this.options.table, computed, 'generated');
    const list = (names: string[]) => names.map((n) => `"${n}"`).join(', ');
    return rows.filter((row) => {
      const names = unknown(row, known);
      if (names.length > 0) {
        failed.push({
          item: row.item,
          error: `column ${list(names)} does not exist in ${this.table} [SQLSTATE 42703]`,
        });
        return false;
      }
      // A value for a computed column is refused by the server (428C9); undefined (DEFAULT) is accepted.
      const given = [...row.values].filter(([n, v]) => v !== undefined && known.generated.has(n));
      if (given.length === 0) return true;
      failed.push({
        item: row.item,
        error: `column ${list(given.map(([n]) => n))} of ${this.table} is generated: it takes no value [SQLSTATE 428C9]`,
      });
      return false;
    });
  }

  private async lookUpColumns(): Promise<TableColumns> {
    this.known = await tableColumns(this.options.pool, this.table, this.timeout.query_timeout);
    return this.known;
  }

  /** Inserts `tuples`; on a row-level error, bisects to find the bad rows (k bad rows: O(k log n) statements). */
  private async insert(columns: string[], tuples: Tuple<T>[], failed: FailedItem<T>[]): Promise<void> {
    const { text, values } = insertStatement(this.table, columns, tuples, this.conflict);
    try {
      await this.options.pool.query({ text, values, ...this.timeout });
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      if (code === '42703' || code === '428C9') this.known = undefined; // changed under us: look up again
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

/** The union of every row's column names, in order of first appearance (provenance last). */
function columnNames(rows: Row<unknown>[]): string[] {
  const names = new Set<string>();
  for (const row of rows) for (const name of row.values.keys()) names.add(name);
  for (const name of PROVENANCE_COLUMNS) names.delete(name);
  return [...names, ...PROVENANCE_COLUMNS];
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
