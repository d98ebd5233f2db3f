import { subRecordsOf } from '../consumer/records.js';
import type { KinesisRecord } from '../types.js';
import type { KclRecord } from './protocol.js';

/**
 * The daemon's records as user records: base64 data to a Buffer, epoch-millisecond arrival to a Date. The
 * daemon deaggregates KPL records itself (each sub-record comes with its subSequenceNumber); a KPL aggregate
 * that still arrives whole (a daemon configured not to deaggregate, or a hand-written message) is deaggregated
 * here, sub-sequence = index, as the polling consumer does.
 */
export function fromKclRecords(records: KclRecord[] = []): KinesisRecord[] {
  // The daemon does not say whether a record came out of an aggregate: sub-records share a sequence number.
  const perSequence = new Map<string, number>();
  for (const r of records) perSequence.set(r.sequenceNumber, (perSequence.get(r.sequenceNumber) ?? 0) + 1);

  const out: KinesisRecord[] = [];
  for (const record of records) {
    const data = Buffer.from(record.data ?? '', 'base64');
    const { partitionKey, sequenceNumber } = record;
    const approximateArrivalTimestamp = new Date(record.approximateArrivalTimestamp ?? 0);
    const subRecords = subRecordsOf(data, sequenceNumber, approximateArrivalTimestamp);
    if (subRecords) {
      for (const sub of subRecords) out.push(sub);
      continue;
    }
    const subSequenceNumber = record.subSequenceNumber ?? 0;
    out.push({
      data,
      partitionKey,
      sequenceNumber,
      subSequenceNumber,
      aggregated: subSequenceNumber > 0 || (perSequence.get(sequenceNumber) ?? 0) > 1,
      approximateArrivalTimestamp,
    });
  }
  return out;
}
