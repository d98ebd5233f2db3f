import type { UserRecord } from './validate.js';

/** What `Producer.put` resolves with once Kinesis stored the record. */
export interface PutResult {
  shardId: string;
  sequenceNumber: string;
  /** For a user record inside a KPL aggregate: its index in the aggregate. Absent for a plain record. */
  subSequenceNumber?: number;
}

/** One `put` waiting for its outcome. */
export interface PendingPut {
  record: UserRecord;
  resolve(result: PutResult): void;
  reject(error: unknown): void;
}

/**
 * One Kinesis-level record (an entry of a PutRecords call): a user record, or a KPL aggregate of several.
 * It is retried as a whole; its user records share its outcome.
 */
export interface Entry {
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
  /** Data + partition key bytes, what counts against the 5 MiB PutRecords limit. */
  size: number;
  /** Ordering lane (partition key, or predicted shard with aggregation); undefined without preserveOrder. */
  lane?: string;
  /** The shard the shard map predicted (aggregation only): a different answer means a reshard. */
  predictedShardId?: string;
  /** True when `data` is a KPL aggregate: results then carry sub-sequence numbers. */
  aggregated: boolean;
  puts: PendingPut[];
  /** PutRecords attempts so far. */
  attempts: number;
  /** Past this time (ms since epoch) a failure is final; set at the first attempt. */
  deadline?: number;
}

export function plainEntry(put: PendingPut, lane?: string, predictedShardId?: string): Entry {
  const { data, partitionKey, explicitHashKey, size } = put.record;
  return {
    data,
    partitionKey,
    ...(explicitHashKey === undefined ? {} : { explicitHashKey }),
    size,
    lane,
    predictedShardId,
    aggregated: false,
    puts: [put],
    attempts: 0,
  };
}
