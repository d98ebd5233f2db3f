import { quoteIdentifier } from '../identifiers.js';
import type { EmitBatch, Emitter, FailedItem } from '../interfaces.js';
import { buildCopyStatement, resolveAuthorization, type CopyAuthorization } from './redshift-copy.js';
import {
  assertPgSource,
  defaultRunCopy,
  inTransaction,
  type PgSource,
  type RunCopy,
} from './redshift-transaction.js';
import { S3Emitter, type S3EmitterOptions } from './s3-emitter.js';

export interface RedshiftBasicEmitterOptions {
  s3: S3EmitterOptions;
  pg: PgSource;
  dataTable: string;
  /** Raw COPY options, e.g. `JSON 'auto'` (add `GZIP` when s3.gzip is set). Trusted configuration. */
  copyOptions?: string;
  /** Exactly one of these: `IAM_ROLE '<arn>'` or `CREDENTIALS '<string>'`. */
  iamRole?: string;
  credentials?: string;
  /** Default `client.query(sql)`; tests against PostgreSQL substitute it. */
  runCopy?: RunCopy;
}

/**
 * Writes each batch to S3 (S3Emitter) and COPYs that one object into the table, in a transaction; a failure
 * rolls back and throws. Unlike the manifest pipeline it keeps no record of loaded files, so a batch
 * replayed after a crash between COPY and checkpoint is loaded twice: use RedshiftManifestEmitter for
 * exactly-once loads.
 */
export class RedshiftBasicEmitter<T> implements Emitter<T> {
  private readonly s3: S3Emitter<T>;
  private readonly authorization: CopyAuthorization;
  private readonly runCopy: RunCopy;

  constructor(private readonly options: RedshiftBasicEmitterOptions) {
    assertPgSource(options?.pg, 'RedshiftBasicEmitter');
    quoteIdentifier(options.dataTable); // before any SQL
    this.authorization = resolveAuthorization(options);
    this.s3 = new S3Emitter<T>(options.s3);
    this.runCopy = options.runCopy ?? defaultRunCopy;
  }

  async emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    if (batch.items.length === 0) return [];
    // Built from the object's URL before anything is written: an unquotable URL writes nothing.
    const copy = buildCopyStatement({
      table: this.options.dataTable,
      from: this.s3.locate(batch).url,
      authorization: this.authorization,
      copyOptions: this.options.copyOptions,
    });
    const { itemsWritten, failed } = await this.s3.write(batch);
    if (itemsWritten === 0) return failed;
    await inTransaction(this.options.pg, this.options.dataTable, (client) => this.runCopy(client, copy));
    return failed;
  }

  /** The S3 client and the pool are the caller's. */
  async shutdown(): Promise<void> {}
}
