import { parseExplicitHashKey } from '../aggregation/index.js';
import {
  InvalidExplicitHashKeyError,
  InvalidPartitionKeyError,
  InvalidRecordDataError,
  RecordTooLargeError,
} from '../errors.js';
import { CLASSIC_MAX_RECORD_BYTES } from '../stream-facts.js';

/** Kinesis' classic per-record limit: data plus partition key (UTF-8 bytes); a stream's own is in its facts. */
export const MAX_RECORD_BYTES = CLASSIC_MAX_RECORD_BYTES;
/** Partition keys are 1 to 256 Unicode characters (code points, not UTF-16 units). */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** What a caller hands to `Producer.put`. */
export interface ProducerRecord {
  data: Buffer | Uint8Array | string;
  partitionKey: string;
  /** A decimal integer in [0, 2^128 - 1]; overrides the partition key's hash for shard placement. */
  explicitHashKey?: string;
}

/** A record after validation: data as a Buffer, sizes known. */
export interface UserRecord {
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
  /** Data + partition key bytes: what counts against the record and PutRecords limits. */
  size: number;
}

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  // A copy, so a caller reusing its array cannot change a record that is still buffered.
  if (data instanceof Uint8Array) return Buffer.from(data);
  throw new InvalidRecordDataError(`got ${data === null ? 'null' : typeof data}`);
}

function codePointLength(value: string, stopAfter: number): number {
  let length = 0;
  for (const _ of value) if (++length > stopAfter) break;
  return length;
}

/**
 * Checks a record against Kinesis' rules before anything is sent, so a bad record fails alone with a
 * typed error instead of failing (or poisoning) a whole PutRecords call. Throws; never calls Kinesis.
 */
export function validateRecord(input: ProducerRecord, maxRecordBytes = MAX_RECORD_BYTES): UserRecord {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidRecordDataError(
      `the record must be an object, got ${input === null ? 'null' : typeof input}`,
    );
  }
  const data = toBuffer(input.data);
  const { partitionKey, explicitHashKey } = input as { partitionKey: unknown; explicitHashKey?: unknown };
  if (
    typeof partitionKey !== 'string' ||
    partitionKey.length === 0 ||
    codePointLength(partitionKey, MAX_PARTITION_KEY_LENGTH) > MAX_PARTITION_KEY_LENGTH
  ) {
    throw new InvalidPartitionKeyError(partitionKey);
  }
  if (explicitHashKey !== undefined) {
    if (typeof explicitHashKey !== 'string' || parseExplicitHashKey(explicitHashKey) === undefined) {
      throw new InvalidExplicitHashKeyError(explicitHashKey);
    }
  }
  const size = data.length + Buffer.byteLength(partitionKey, 'utf8');
  if (size > maxRecordBytes) throw new RecordTooLargeError(size, maxRecordBytes);
  return explicitHashKey === undefined
    ? { data, partitionKey, size }
    : { data, partitionKey, explicitHashKey, size };
}
