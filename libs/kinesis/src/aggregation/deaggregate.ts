import { createHash } from 'node:crypto';

import {
  KPL_MAGIC,
  MD5_LENGTH,
  TAG_DATA,
  TAG_EXPLICIT_HASH_KEY_INDEX,
  TAG_EXPLICIT_HASH_KEY_TABLE,
  TAG_PARTITION_KEY_INDEX,
  TAG_PARTITION_KEY_TABLE,
  TAG_RECORD,
} from './aggregator.js';
import { MALFORMED, WireReader } from './wire.js';

export interface DeaggregatedRecord {
  /** A view into the aggregated record's data (no copy). */
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
}

/** Whether `data` starts with the KPL magic bytes (nothing else is checked). */
export function isAggregated(data: Buffer): boolean {
  return (
    data.length >= KPL_MAGIC.length &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

/**
 * The user records in `data` if it is a valid KPL aggregate (magic bytes, matching MD5, protobuf that decodes with
 * in-range key indexes); otherwise undefined, and the caller delivers it as one plain record, as the KCL does.
 * Never throws on malformed input.
 */
export function deaggregate(data: Buffer): DeaggregatedRecord[] | undefined {
  if (data.length < KPL_MAGIC.length + MD5_LENGTH || !isAggregated(data)) return undefined;
  const protobufEnd = data.length - MD5_LENGTH;
  const digest = createHash('md5').update(data.subarray(KPL_MAGIC.length, protobufEnd)).digest();
  if (!digest.equals(data.subarray(protobufEnd))) return undefined;

  // Protobuf allows fields in any order, so collect the tables first and decode the records after.
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  const recordStarts: number[] = [];
  const recordEnds: number[] = [];
  const reader = new WireReader(data, KPL_MAGIC.length, protobufEnd);
  while (reader.pos < protobufEnd) {
    const fieldTag = reader.tag();
    if (fieldTag === MALFORMED) return undefined;
    if (
      fieldTag === TAG_PARTITION_KEY_TABLE ||
      fieldTag === TAG_EXPLICIT_HASH_KEY_TABLE ||
      fieldTag === TAG_RECORD
    ) {
      const end = reader.lengthDelimited();
      if (end === MALFORMED) return undefined;
      if (fieldTag === TAG_RECORD) {
        recordStarts.push(reader.pos);
        recordEnds.push(end);
      } else {
        const table = fieldTag === TAG_PARTITION_KEY_TABLE ? partitionKeys : explicitHashKeys;
        table.push(data.toString('utf8', reader.pos, end));
      }
      reader.pos = end;
    } else if (!reader.skip(fieldTag)) {
      return undefined;
    }
  }

  const records: DeaggregatedRecord[] = new Array(recordStarts.length);
  for (let i = 0; i < recordStarts.length; i++) {
    const record = decodeRecord(data, recordStarts[i], recordEnds[i], partitionKeys, explicitHashKeys);
    if (!record) return undefined;
    records[i] = record;
  }
  return records;
}

function decodeRecord(
  data: Buffer,
  start: number,
  end: number,
  partitionKeys: string[],
  explicitHashKeys: string[],
): DeaggregatedRecord | undefined {
  const reader = new WireReader(data, start, end);
  let pkIndex = MALFORMED;
  let ehkIndex = MALFORMED;
  let dataStart = MALFORMED;
  let dataEnd = MALFORMED;
  while (reader.pos < end) {
    const fieldTag = reader.tag();
    if (fieldTag === MALFORMED) return undefined;
    // A repeated singular field: the last value wins, as in protobuf.
    if (fieldTag === TAG_PARTITION_KEY_INDEX) {
      pkIndex = reader.varint();
      if (pkIndex === MALFORMED) return undefined;
    } else if (fieldTag === TAG_EXPLICIT_HASH_KEY_INDEX) {
      ehkIndex = reader.varint();
      if (ehkIndex === MALFORMED) return undefined;
    } else if (fieldTag === TAG_DATA) {
      dataEnd = reader.lengthDelimited();
      if (dataEnd === MALFORMED) return undefined;
      dataStart = reader.pos;
      reader.pos = dataEnd;
    } else if (!reader.skip(fieldTag)) {
      // Tags (field 4) are skipped here too: nothing downstream uses them.
      return undefined;
    }
  }
  // partition_key_index and data are required; indexes must point into the tables.
  if (pkIndex === MALFORMED || dataStart === MALFORMED || pkIndex >= partitionKeys.length) return undefined;
  const record: DeaggregatedRecord = {
    data: data.subarray(dataStart, dataEnd),
    partitionKey: partitionKeys[pkIndex],
  };
  if (ehkIndex !== MALFORMED) {
    if (ehkIndex >= explicitHashKeys.length) return undefined;
    record.explicitHashKey = explicitHashKeys[ehkIndex];
  }
  return record;
}
