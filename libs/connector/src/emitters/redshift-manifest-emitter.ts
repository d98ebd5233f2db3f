import type { S3Client } from '@aws-sdk/client-s3';
import type { ClientBase } from 'pg';
import { loadS3 } from '../drivers.js';
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
import { S3WriteError } from './s3-emitter.js';
import { parseS3Url, s3ManifestKey, s3Url } from './s3-keys.js';

export interface RedshiftManifestEmitterOptions {
  /** Where the Redshift manifests are written (the data files may be in any bucket). */
  s3Client: S3Client;
  bucket: string;
  manifestPrefix: string;
  pg: PgSource;
  /** The table COPY loads into. */
  dataTable: string;
  /** One row per data file already loaded: what makes a replayed manifest path a no-op. */
  fileTable: string;
  /** The file table's column holding the `s3://` path (default `file`). */
  fileColumn?: string;
  /** Raw COPY options, e.g. `JSON 'auto' GZIP` (trusted configuration). */
  copyOptions?: string;
  /** Exactly one of these: `IAM_ROLE '<arn>'` or `CREDENTIALS '<string>'`. */
  iamRole?: string;
  credentials?: string;
  /** Default `client.query(sql)`; tests against PostgreSQL substitute it. */
  runCopy?: RunCopy;
}

/**
 * Step 2 of the Redshift manifest pipeline: its models are the `s3://` paths S3ManifestEmitter put on the
 * manifest stream. In one transaction it skips the files the file table already has, writes a manifest of
 * the others, records them in the file table and COPYs the manifest; any failure rolls all of it back and
 * throws, so nothing is checkpointed (the Go seed checkpointed a failed COPY and lost the batch). A model
 * that is not an `s3://bucket/key` string is returned as failed (dead-lettered), never loaded.
 */
export class RedshiftManifestEmitter implements Emitter<string> {
  private readonly authorization: CopyAuthorization;
  private readonly runCopy: RunCopy;
  private readonly selectFiles: (count: number) => string;
  private readonly insertFiles: (count: number) => string;

  constructor(private readonly options: RedshiftManifestEmitterOptions) {
    if (!options?.s3Client) throw new TypeError('RedshiftManifestEmitter option s3Client is required');
    if (typeof options.bucket !== 'string' || !options.bucket) {
      throw new TypeError('RedshiftManifestEmitter option bucket is required');
    }
    if (typeof options.manifestPrefix !== 'string') {
      throw new TypeError('RedshiftManifestEmitter option manifestPrefix must be a string');
    }
    assertPgSource(options.pg, 'RedshiftManifestEmitter');
    // Every identifier is checked here, before any SQL can run.
    quoteIdentifier(options.dataTable);
    const table = quoteIdentifier(options.fileTable);
    const column = quoteIdentifier(options.fileColumn ?? 'file');
    this.authorization = resolveAuthorization(options);
    this.runCopy = options.runCopy ?? defaultRunCopy;
    // Redshift has no arrays (no `= ANY($1)`, no unnest): one placeholder per file.
    this.selectFiles = (n) => `SELECT ${column} FROM ${table} WHERE ${column} IN (${placeholders(n, ', ')})`;
    this.insertFiles = (n) => `INSERT INTO ${table} (${column}) VALUES ${placeholders(n, ', ', true)}`;
  }

  async emit(batch: EmitBatch<string>): Promise<FailedItem<string>[]> {
    const failed: FailedItem<string>[] = [];
    const files = new Set<string>(); // a path delivered twice in one batch is loaded once
    for (const item of batch.items) {
      if (parseS3Url(item.model)) files.add(item.model);
      else failed.push({ item, error: 'manifest stream record is not an s3://bucket/key path' });
    }
    if (files.size === 0) return failed;

    const { bucket, manifestPrefix } = this.options;
    const manifestKey = s3ManifestKey(
      manifestPrefix,
      batch.streamName,
      batch.shardId,
      batch.firstSequenceNumber,
      batch.lastSequenceNumber,
    );
    // Built before BEGIN: an unquotable URL is refused before any SQL.
    const copy = buildCopyStatement({
      table: this.options.dataTable,
      from: s3Url(bucket, manifestKey),
      authorization: this.authorization,
      manifest: true,
      copyOptions: this.options.copyOptions,
    });
    await inTransaction(this.options.pg, this.options.dataTable, async (client) => {
      const fresh = await this.newFiles(client, [...files]);
      if (fresh.length === 0) return; // all loaded before: COMMIT, no COPY
      await this.writeManifest(manifestKey, fresh);
      await client.query(this.insertFiles(fresh.length), fresh);
      await this.runCopy(client, copy);
    });
    return failed;
  }

  /** The pool or client factory is the caller's: nothing to release. */
  async shutdown(): Promise<void> {}

  private async newFiles(client: ClientBase, files: string[]): Promise<string[]> {
    // Array rows: Redshift may fold the column name's case in result rows.
    const { rows } = await client.query<unknown[]>({
      text: this.selectFiles(files.length),
      values: files,
      rowMode: 'array',
    });
    const loaded = new Set(rows.map((row) => String(row[0])));
    return files.filter((file) => !loaded.has(file));
  }

  private async writeManifest(key: string, files: string[]): Promise<void> {
    const manifest = { entries: files.map((url) => ({ url, mandatory: true })) };
    const { PutObjectCommand } = await loadS3('RedshiftManifestEmitter');
    try {
      await this.options.s3Client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: JSON.stringify(manifest),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw new S3WriteError(this.options.bucket, key, error);
    }
  }
}

/** `$1, $2, ...` or, for VALUES rows, `($1), ($2), ...`. */
function placeholders(count: number, separator: string, rows = false): string {
  return Array.from({ length: count }, (_, i) => (rows ? `($${i + 1})` : `$${i + 1}`)).join(separator);
}
