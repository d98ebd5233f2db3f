/**
 * Connections and transactions of the Redshift emitters. Only pg's types are used: the caller brings the
 * pool or the client factory (node-postgres speaks to Redshift and, in tests, to PostgreSQL).
 */
import type { Client, ClientBase, Pool } from 'pg';
import { KinesisError } from '../../../kinesis/src/index.js';

/** A pool (a client is borrowed per batch), or a factory of new, unconnected clients (connected, then ended). */
export type PgSource = Pool | (() => Client | Promise<Client>);

/** Runs the COPY statement. PostgreSQL cannot COPY from S3, so tests substitute their own. */
export type RunCopy = (client: ClientBase, sql: string) => Promise<unknown>;

export const defaultRunCopy: RunCopy = (client, sql) => client.query(sql);

/** The load into Redshift failed and was rolled back: nothing was loaded, the batch must be retried. */
export class RedshiftLoadError extends KinesisError {
  constructor(
    readonly table: string,
    cause: unknown,
  ) {
    super(`load into ${table} failed and was rolled back: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
  }
}

export function assertPgSource(source: unknown, owner: string): asserts source is PgSource {
  const ok =
    typeof source === 'function' || (typeof source === 'object' && source !== null && 'connect' in source);
  if (!ok) throw new TypeError(`${owner} option pg must be a pg.Pool or a factory of pg.Client`);
}

async function acquire(
  source: PgSource,
): Promise<{ client: ClientBase; release(broken: boolean): Promise<void> }> {
  if (typeof source !== 'function') {
    const client = await source.connect();
    // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than pool it.
    return { client, release: async (broken) => client.release(broken) };
  }
  const client = await source();
  try {
    await client.connect();
  } catch (error) {
    void client.end().catch(() => undefined);
    throw error;
  }
  return { client, release: () => client.end().catch(() => undefined) };
}

/**
 * BEGIN, `work`, COMMIT; on any error ROLLBACK and rethrow, so a failed COPY leaves neither rows nor
 * file-table entries behind (and the pipeline checkpoints nothing). Errors that are not already the
 * library's own are wrapped in RedshiftLoadError.
 */
export async function inTransaction<R>(
  source: PgSource,
  table: string,
  work: (client: ClientBase) => Promise<R>,
): Promise<R> {
  let connection: Awaited<ReturnType<typeof acquire>>;
  try {
    connection = await acquire(source);
  } catch (error) {
    throw new RedshiftLoadError(table, error);
  }
  const { client, release } = connection;
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw error instanceof KinesisError ? error : new RedshiftLoadError(table, error);
  } finally {
    await release(broken);
  }
}
