import type { BufferedItem } from './interfaces.js';

/**
 * An effectively-once key for one model of one record, unique across shards:
 * `<shardId>:<sequenceNumber>:<subSequenceNumber>`, plus `:<modelIndex>` from a record's second model on (the
 * first model keeps the key written before model indexes existed, so a replay across an upgrade overwrites
 * instead of duplicating). For DynamoDB items, S3 keys or any store whose writes replace by key.
 */
export function provenanceKey(shardId: string, item: BufferedItem<unknown>): string {
  const { sequenceNumber, subSequenceNumber } = item.record;
  const base = `${shardId}:${sequenceNumber}:${subSequenceNumber}`;
  return item.modelIndex > 0 ? `${base}:${item.modelIndex}` : base;
}
