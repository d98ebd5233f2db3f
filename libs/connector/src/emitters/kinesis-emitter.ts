import {
  InvalidRecordError,
  KinesisError,
  PutRecordError,
  type Producer,
} from '../../../kinesis/src/index.js';
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
 * Entry-level error codes about the record itself (its size, key or content): the item fails and is
 * dead-lettered after the pipeline's retries. Every other entry code is the stream's: throttling
 * (ProvisionedThroughputExceededException, KMSThrottlingException), InternalFailure, the KMS key, the
 * caller's rights, or a code this list does not know. Those throw: the pipeline retries the batch until the
 * stream takes it and checkpoints nothing meanwhile, so an outage never drains the stream into dead letters.
 */
const RECORD_LEVEL_CODES = new Set(['InvalidArgumentException', 'ValidationException']);

/**
 * Forwards each item's `toBytes(model)` to another stream through the core Producer (batched PutRecords,
 * retries with backoff). Kinesis writes are at least once: a replayed batch is put again.
 *
 * Failed items (returned): a record the producer refuses (over 1 MiB, a bad partition or hash key), a
 * `toBytes` / key function that throws, an entry Kinesis refused for its content (RECORD_LEVEL_CODES).
 * Thrown (destination unavailable): a whole PutRecords call failing (missing stream, access denied, network
 * down) or any other entry error still there after the producer's retries (throttling, InternalFailure, KMS).
 */
export class KinesisEmitter<T> implements Emitter<T> {
  constructor(private readonly options: KinesisEmitterOptions<T>) {
    if (!options?.producer) throw new TypeError('KinesisEmitter: producer is required');
  }

  async emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    const results = await Promise.allSettled(batch.items.map((item) => this.put(batch, item)));
    const failed: FailedItem<T>[] = [];
    let unavailable: unknown;
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      const error = result.reason;
      if (error instanceof PutRecordError) {
        if (isStreamLevel(error)) unavailable ??= error;
      } else if (!(error instanceof ItemError || error instanceof InvalidRecordError)) {
        unavailable ??= error; // ProducerClosedError, or a bug: not the record's fault
      }
      failed.push({ item: batch.items[i], error: messageOf(error) });
    });
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
class ItemError extends KinesisError {
  constructor(cause: unknown) {
    super(messageOf(cause), { cause });
  }
}

/** A whole call failed (the producer sets `cause` only then) or the entry error is not about the record. */
function isStreamLevel(error: PutRecordError): boolean {
  return error.cause !== undefined || !RECORD_LEVEL_CODES.has(error.errorCode);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
