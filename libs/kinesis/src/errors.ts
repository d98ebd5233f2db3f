/**
 * Typed errors of the Kinesis core. Every error a caller can act on has its own class, so callers
 * branch with `instanceof` instead of parsing messages.
 */
export class KinesisError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A record was refused before any call to Kinesis: nothing was sent. */
export class InvalidRecordError extends KinesisError {}

export class RecordTooLargeError extends InvalidRecordError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`record of ${size} bytes (data + partition key) exceeds the Kinesis limit of ${limit} bytes`);
  }
}

export class InvalidPartitionKeyError extends InvalidRecordError {
  constructor(readonly partitionKey: unknown) {
    const length = typeof partitionKey === 'string' ? partitionKey.length : undefined;
    super(
      typeof partitionKey !== 'string'
        ? `partition key must be a string, got ${typeof partitionKey}`
        : `partition key must be 1 to 256 characters long, got ${length}`,
    );
  }
}

export class InvalidExplicitHashKeyError extends InvalidRecordError {
  constructor(readonly explicitHashKey: unknown) {
    super(`explicit hash key must be a decimal integer in [0, 2^128 - 1], got ${String(explicitHashKey)}`);
  }
}

export class InvalidRecordDataError extends InvalidRecordError {
  constructor(detail: string) {
    super(`record data must be a Buffer, Uint8Array or string: ${detail}`);
  }
}

/** What a failed put was about; carried by {@link PutRecordError} so nothing is lost. */
export interface FailedRecord {
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
}

/** Kinesis did not store a record within the producer's retry budget, or refused it for good. */
export class PutRecordError extends KinesisError {
  constructor(
    readonly record: FailedRecord,
    readonly errorCode: string,
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`put to Kinesis failed after ${attempts} attempt(s): ${errorCode}: ${message}`, options);
  }
}

export class ProducerClosedError extends KinesisError {
  constructor() {
    super('producer is closed');
  }
}

export class StreamNotActiveError extends KinesisError {
  constructor(
    readonly streamName: string,
    readonly lastStatus: string | undefined,
    readonly waitedMs: number,
  ) {
    super(
      `stream "${streamName}" did not become ACTIVE within ${waitedMs} ms (last status: ${lastStatus ?? 'unknown'})`,
    );
  }
}

/** A checkpoint store kept failing after its retries; the cause is the store's last error. */
export class CheckpointStoreError extends KinesisError {
  constructor(
    readonly operation: 'get' | 'set',
    readonly streamName: string,
    readonly shardId: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    super(
      `checkpoint store ${operation} for ${streamName}/${shardId} failed after ${attempts} attempt(s): ${
        options.cause instanceof Error ? options.cause.message : String(options.cause)
      }`,
      options,
    );
  }
}

/** Thrown by a store (or a lease manager) when this worker no longer owns the shard. */
export class LeaseLostError extends KinesisError {
  constructor(
    readonly shardId: string,
    detail = 'lease lost',
  ) {
    super(`${shardId}: ${detail}`);
  }
}

/** A checkpoint that does not belong to what was delivered (unknown sequence, or going backwards). */
export class InvalidCheckpointError extends KinesisError {}

/**
 * An optional peer dependency (a driver such as pg, ioredis or @aws-sdk/client-s3) is not installed: the part of
 * the package that needs it names it, so the fix is one `npm install`.
 */
export class MissingPeerDependencyError extends KinesisError {
  constructor(
    readonly packageName: string,
    readonly neededBy: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${neededBy} needs the optional peer dependency "${packageName}", which is not installed: npm install ${packageName}`,
      options,
    );
  }
}
