import { createHash } from 'node:crypto';
import { KinesisError, type Producer } from '../../../kinesis/src/index.js';
import type { EmitBatch, Emitter, FailedItem } from '../interfaces.js';
import { S3Emitter, type S3EmitterOptions } from './s3-emitter.js';

const MAX_PARTITION_KEY = 256;

export interface S3ManifestEmitterOptions {
  s3: S3EmitterOptions;
  /** A producer onto the manifest stream; it stays the caller's (not closed on shutdown). */
  producer: Producer;
}

/** The object was written but its path could not be put on the manifest stream. */
export class ManifestPutError extends KinesisError {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`could not put ${url} on the manifest stream: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
  }
}

/**
 * Step 1 of the Redshift manifest pipeline: writes the batch with S3Emitter, then puts the object's
 * `s3://bucket/key` on the manifest stream, where RedshiftManifestEmitter reads it. Throws if either
 * step fails: the batch is retried, the object overwritten (same key) and its path put again, which
 * the Redshift side skips because its file table already has it.
 */
export class S3ManifestEmitter<T> implements Emitter<T> {
  private readonly s3: S3Emitter<T>;
  private readonly producer: Producer;

  constructor(options: S3ManifestEmitterOptions) {
    if (!options?.producer) throw new TypeError('S3ManifestEmitter option producer is required');
    this.s3 = new S3Emitter<T>(options.s3);
    this.producer = options.producer;
  }

  async emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    if (batch.items.length === 0) return [];
    const { key, url, itemsWritten, failed } = await this.s3.write(batch);
    if (itemsWritten === 0) return failed;
    try {
      await this.producer.put({ data: url, partitionKey: partitionKeyOf(key) });
    } catch (error) {
      throw new ManifestPutError(url, error);
    }
    return failed;
  }

  async shutdown(): Promise<void> {}
}

/** The key spreads manifests over shards; a key over Kinesis' 256 characters is replaced by its SHA-256. */
function partitionKeyOf(key: string): string {
  return key.length <= MAX_PARTITION_KEY ? key : createHash('sha256').update(key).digest('hex');
}
