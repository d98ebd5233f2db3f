import type { _Record } from '@aws-sdk/client-kinesis';
import { deaggregate, isAggregated } from '../aggregation/index.js';
import type { Checkpoint, KinesisRecord } from '../types.js';

/**
 * SDK records to user records. A KPL aggregate becomes its sub-records (sub-sequence = index); one with the
 * magic bytes whose MD5 or protobuf does not check out is delivered whole as a plain record, as the KCL does.
 */
export function toUserRecords(records: _Record[]): KinesisRecord[] {
  const out: KinesisRecord[] = [];
  for (const record of records) {
    const data = Buffer.from(record.Data!.buffer, record.Data!.byteOffset, record.Data!.byteLength);
    const sequenceNumber = record.SequenceNumber!;
    const approximateArrivalTimestamp = record.ApproximateArrivalTimestamp ?? new Date(0);
    const subRecords = subRecordsOf(data, sequenceNumber, approximateArrivalTimestamp);
    if (subRecords) {
      for (const sub of subRecords) out.push(sub);
      continue;
    }
    out.push({
      data,
      partitionKey: record.PartitionKey!,
      sequenceNumber,
      subSequenceNumber: 0,
      aggregated: false,
      approximateArrivalTimestamp,
    });
  }
  return out;
}

/**
 * A KPL aggregate's sub-records as user records: they share the aggregate's sequence number and arrival time,
 * sub-sequence = index. Undefined when `data` is no aggregate, or one that does not check out (MD5, protobuf).
 */
export function subRecordsOf(
  data: Buffer,
  sequenceNumber: string,
  approximateArrivalTimestamp: Date,
): KinesisRecord[] | undefined {
  const subRecords = isAggregated(data) ? deaggregate(data) : undefined;
  return subRecords?.map((sub, index) => ({
    data: sub.data,
    partitionKey: sub.partitionKey,
    ...(sub.explicitHashKey !== undefined ? { explicitHashKey: sub.explicitHashKey } : {}),
    sequenceNumber,
    subSequenceNumber: index,
    aggregated: true,
    approximateArrivalTimestamp,
  }));
}

/** Orders (sequence, sub-sequence) positions; sequence numbers are decimal strings of up to 128 bits. */
export function comparePositions(a: Checkpoint, b: Checkpoint): number {
  const [x, y] = [BigInt(a.sequenceNumber), BigInt(b.sequenceNumber)];
  if (x !== y) return x < y ? -1 : 1;
  return a.subSequenceNumber - b.subSequenceNumber;
}

export function isSequenceNumber(value: string): boolean {
  return /^\d{1,128}$/.test(value);
}
