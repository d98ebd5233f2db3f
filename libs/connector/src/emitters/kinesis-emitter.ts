import { InvalidRecordError, PutRecordError, type Producer } from '../../../kinesis/src/index.js';
import type { BufferedItem, EmitBatch, Emitter, FailedItem } from '../interfaces.js';

export interface KinesisEmitterOptions<T> {
  /** A core Producer onto the target stream; `shutdown()` closes it (the Kinesis client stays the caller's). */
  producer: Producer;
  /** Default: the source record's partition key, so per-key order carries over to the target stream. */
  partitionKey?: (item: BufferedItem<T>) => string;
  /** Optional explicit hash key (a decimal in [0, 2^128 - 1]) to pick the target shard. */
  explicitHashKey?: (item: BufferedItem<T>) => string | undefined;
}

/**
 * Entry-level error codes that are about the stream, not the record: the KMS key or the caller's rights.
 * Throttling and internal errors that outlived the producer's retries are not here: they fail the item
 * (retried later by the pipeline) unless every put of the batch failed.
 */
const STREAM_LEVEL_CODES = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);

/**
 * Forwards each item's `toBytes(model)` to another stream through the core Producer (batched PutRecords,
 * retries with backoff). Kinesis writes are at least once: a replayed batch is put again.
 *
 * Failed items (returned): a record the producer refuses (over 1 MiB, a bad partition or hash key), a
 * `toBytes` / key function that throws, an entry Kinesis kept refusing. Thrown (destination unavailable):
 * a whole PutRecords call failing (missing stream, access denied, network down), a stream-level entry
 * error, or every put of the batch failing.
 */
export class KinesisEmitter<T> implements Emitter<T> {
  constructor(private readonly options: KinesisEmitterOptions<T>) {
    if (!options?.producer) throw new TypeError('KinesisEmitter: producer is required');
  }

  async emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    const results = await Promise.allSettled(batch.items.map((item) => this.put(batch, item)));
    const failed: FailedItem<T>[] = [];
    let unavailable: unknown;
    let firstPutError: PutRecordError | undefined;
    let stored = 0;
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return void stored++;
      const error = result.reason;
      if (error instanceof PutRecordError) {
        firstPutError ??= error;
        if (isStreamLevel(error)) unavailable ??= error;
      } else if (!(error instanceof ItemError || error instanceof InvalidRecordError)) {
        unavailable ??= error; // ProducerClosedError, or a bug: not the record's fault
      }
      failed.push({ item: batch.items[i], error: messageOf(error) });
    });
    // Nothing got through and Kinesis refused what was sent: the stream, not the records, is the problem.
    if (stored === 0) unavailable ??= firstPutError;
    if (unavailable !== undefined) throw unavailable;
    return failed;
  }

  /** Closes the producer: waits for what it still holds. */
  async shutdown(): Promise<void> {
    await this.options.producer.close();
  }

  private async put(batch: EmitBatch<T>, item: BufferedItem<T>): Promise<void> {
    let record: { data: Buffer; partitionKey: string; explicitHashKey?: string };
    try {
      const data = batch.toBytes(item.model);
      const partitionKey = this.options.partitionKey
        ? this.options.partitionKey(item)
        : item.record.partitionKey;
      const explicitHashKey = this.options.explicitHashKey?.(item);
      record =
        explicitHashKey === undefined ? { data, partitionKey } : { data, partitionKey, explicitHashKey };
    } catch (error) {
      throw new ItemError(error);
    }
    await this.options.producer.put(record);
  }
}

/** A user function (toBytes, partitionKey, explicitHashKey) threw for this item. */
class ItemError extends Error {
  constructor(cause: unknown) {
    super(messageOf(cause), { cause });
  }
}

/** A whole call failed (the producer sets `cause` only then) or the entry error is about the stream. */
function isStreamLevel(error: PutRecordError): boolean {
  return error.cause !== undefined || STREAM_LEVEL_CODES.has(error.errorCode);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
