import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { KinesisError } from '../../../kinesis/src/index.js';
import { loadS3 } from '../drivers.js';
import type { BufferedItem, EmitBatch, Emitter, FailedItem } from '../interfaces.js';
import { s3ObjectKey, s3Url } from './s3-keys.js';

const gzip = promisify(gzipCallback);
const NEWLINE = 0x0a;

export interface S3EmitterOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix; objects go to `<prefix>/<stream>/<shard>/<firstSeq>-<lastSeq>[.gz]`. */
  prefix: string;
  /** Gzip the body (node:zlib) and add `.gz` to the key. Default false. */
  gzip?: boolean;
  /** Default `application/x-ndjson`, or `application/gzip` with gzip. */
  contentType?: string;
  /**
   * Delete other objects that start at the same record (default true). A batch replayed after a crash starts
   * at the same record (the one after the checkpoint) but may end elsewhere (an age flush is timing-bound),
   * so its key can differ from the first attempt's: without this, the records of both would be in S3 twice.
   */
  replaceReplays?: boolean;
}

/** A batch boundary: the sequence number, with `.sub` for a KPL sub-record (two batches may start in one aggregate). */
function position(item: BufferedItem<unknown>): string {
  return item.record.aggregated
    ? `${item.record.sequenceNumber}.${item.record.subSequenceNumber}`
    : item.record.sequenceNumber;
}

/** Where one batch was written. */
export interface S3Object {
  bucket: string;
  key: string;
  /** `s3://bucket/key`, as Redshift COPY and manifests want it. */
  url: string;
}

/** The bucket refused or did not answer: the destination is unavailable, the batch is retried whole. */
export class S3WriteError extends KinesisError {
  constructor(
    readonly bucket: string,
    readonly key: string,
    cause: unknown,
  ) {
    super(`could not write s3://${bucket}/${key}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/**
 * The batch's JSON lines (each model's bytes, newline-terminated, not doubled when toBytes already ends with
 * one), with the items whose toBytes threw left out and returned as failed.
 */
export function encodeLines<T>(batch: EmitBatch<T>): {
  lines: Buffer;
  written: number;
  failed: FailedItem<T>[];
} {
  const parts: Buffer[] = [];
  const failed: FailedItem<T>[] = [];
  for (const item of batch.items) {
    let bytes: Buffer;
    try {
      bytes = batch.toBytes(item.model);
      if (!(bytes instanceof Uint8Array)) throw new TypeError(`toBytes returned ${typeof bytes}, not bytes`);
    } catch (error) {
      failed.push({ item, error: `toBytes: ${(error as Error)?.message ?? String(error)}` });
      continue;
    }
    parts.push(bytes);
    if (bytes.length === 0 || bytes[bytes.length - 1] !== NEWLINE) parts.push(Buffer.from('\n'));
  }
  return { lines: Buffer.concat(parts), written: batch.items.length - failed.length, failed };
}

/** Where a batch went: its object (not written when no item could be encoded) and the items left out. */
export type S3Write<T> = S3Object & { itemsWritten: number; failed: FailedItem<T>[] };

/**
 * One S3 object per batch (the amazon-kinesis-connectors S3Emitter). The key depends only on the stream,
 * shard and sequence range, so a replay overwrites. The `.gz` suffix follows the `gzip` option, which is
 * fixed per emitter, so the key stays deterministic; changing the option later changes the keys.
 * No Content-Encoding header on gzip objects: clients would unzip transparently, and Redshift's
 * `COPY ... GZIP` wants the stored bytes as they are.
 */
export class S3Emitter<T> implements Emitter<T> {
  constructor(private readonly options: S3EmitterOptions) {
    if (!options?.client) throw new TypeError('S3Emitter option client is required');
    if (typeof options.bucket !== 'string' || !options.bucket) {
      throw new TypeError('S3Emitter option bucket is required');
    }
    if (typeof options.prefix !== 'string') throw new TypeError('S3Emitter option prefix must be a string');
  }

  get bucket(): string {
    return this.options.bucket;
  }

  /** Where `batch` goes, without writing it. */
  locate(batch: EmitBatch<T>): S3Object {
    const key = s3ObjectKey(
      this.options.prefix,
      batch.streamName,
      batch.shardId,
      batch.items.length > 0 ? position(batch.items[0]) : batch.firstSequenceNumber,
      batch.items.length > 0 ? position(batch.items.at(-1)!) : batch.lastSequenceNumber,
      this.options.gzip ? '.gz' : '',
    );
    return { bucket: this.options.bucket, key, url: s3Url(this.options.bucket, key) };
  }

  /**
   * Writes the batch's object; throws S3WriteError when S3 fails (the destination). An item whose toBytes
   * throws is left out and returned in `failed` (record-level); with none left, no object is written. The key
   * still spans the whole batch, so a replay lands on it. (The pipeline hands over the bytes it encoded when
   * buffering, so a failed item never succeeds on a retry and a retried subset never replaces the object.)
   */
  async write(batch: EmitBatch<T>): Promise<S3Write<T>> {
    const target = this.locate(batch);
    const { lines, written, failed } = encodeLines(batch);
    if (written === 0) return { ...target, itemsWritten: 0, failed };
    const body = this.options.gzip ? await gzip(lines) : lines;
    const contentType =
      this.options.contentType ?? (this.options.gzip ? 'application/gzip' : 'application/x-ndjson');
    const { PutObjectCommand } = await loadS3('S3Emitter');
    try {
      await this.options.client.send(
        new PutObjectCommand({
          Bucket: target.bucket,
          Key: target.key,
          Body: body,
          ContentType: contentType,
        }),
      );
      if (this.options.replaceReplays ?? true) await this.deleteReplays(target.key);
    } catch (error) {
      throw new S3WriteError(target.bucket, target.key, error);
    }
    return { ...target, itemsWritten: written, failed };
  }

  /** Objects of an earlier attempt at this batch: same directory and first record, another end. */
  private async deleteReplays(key: string): Promise<void> {
    const prefix = key.slice(0, key.lastIndexOf('-') + 1);
    const { DeleteObjectCommand, ListObjectsV2Command } = await loadS3('S3Emitter');
    const listed = await this.options.client.send(
      new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix }),
    );
    for (const object of listed.Contents ?? []) {
      if (object.Key && object.Key !== key) {
        // One at a time: s3rver's DeleteObjects of several keys in one folder can race.
        await this.options.client.send(
          new DeleteObjectCommand({ Bucket: this.options.bucket, Key: object.Key }),
        );
      }
    }
  }

  /** Every encodable item goes in one object or none does: an S3 failure is the destination's, so it throws. */
  async emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    return batch.items.length > 0 ? (await this.write(batch)).failed : [];
  }

  /** The S3 client is the caller's: nothing to release. */
  async shutdown(): Promise<void> {}
}
