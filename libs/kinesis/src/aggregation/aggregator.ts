import { createHash } from 'node:crypto';

import {
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  lengthDelimitedSize,
  tag,
  varintSize,
  writeVarint,
} from './wire.js';

/** The 4 bytes that open every KPL aggregated record. */
export const KPL_MAGIC: Buffer = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
export const MD5_LENGTH = 16;
/** The KPL's default AggregationMaxSize. */
export const DEFAULT_AGGREGATION_MAX_BYTES = 51_200;

// AggregatedRecord fields.
export const TAG_PARTITION_KEY_TABLE = tag(1, WIRE_LENGTH_DELIMITED);
export const TAG_EXPLICIT_HASH_KEY_TABLE = tag(2, WIRE_LENGTH_DELIMITED);
export const TAG_RECORD = tag(3, WIRE_LENGTH_DELIMITED);
// Record fields.
export const TAG_PARTITION_KEY_INDEX = tag(1, WIRE_VARINT);
export const TAG_EXPLICIT_HASH_KEY_INDEX = tag(2, WIRE_VARINT);
export const TAG_DATA = tag(3, WIRE_LENGTH_DELIMITED);

const OVERHEAD = KPL_MAGIC.length + MD5_LENGTH;

export interface UserRecordInput {
  data: Buffer;
  partitionKey: string;
  /** Decimal 128-bit hash key; an empty string counts as none. Not validated here. */
  explicitHashKey?: string;
}

export interface AggregatorOptions {
  /** Largest aggregated record (magic + protobuf + MD5) `fits` allows. Default 51,200 (the KPL's). */
  maxBytes?: number;
  /** Most user records `fits` allows. Default unlimited. */
  maxCount?: number;
}

export interface AggregatedRecordOutput {
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
}

/** A deduplicated string table: index by value, plus each value's UTF-8 length for encoding. */
class KeyTable {
  readonly index = new Map<string, number>();
  readonly keys: string[] = [];
  readonly byteLengths: number[] = [];

  add(key: string, byteLength: number): number {
    const index = this.keys.length;
    this.index.set(key, index);
    this.keys.push(key);
    this.byteLengths.push(byteLength);
    return index;
  }
}

/** Size of a Record message's body. */
function recordBodySize(pkIndex: number, ehkIndex: number, dataLength: number): number {
  const ehkSize = ehkIndex < 0 ? 0 : 1 + varintSize(ehkIndex);
  return 1 + varintSize(pkIndex) + ehkSize + lengthDelimitedSize(dataLength);
}

/**
 * Builds one KPL-format aggregated record from user records. Sizes are tracked incrementally and exactly, so
 * `fits` can decide before `add`, and `build` writes everything into one preallocated Buffer.
 * Data buffers are kept by reference until `build`: do not mutate them in between.
 */
export class Aggregator {
  readonly maxBytes: number;
  readonly maxCount: number;

  private partitionKeys = new KeyTable();
  private explicitHashKeys = new KeyTable();
  // Parallel arrays (one slot per user record) keep add() allocation-free apart from the arrays' growth.
  private pkIndexes: number[] = [];
  private ehkIndexes: number[] = []; // -1: none
  private bodySizes: number[] = [];
  private datas: Buffer[] = [];
  private protobufSize = 0;

  constructor(options: AggregatorOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_AGGREGATION_MAX_BYTES;
    this.maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
  }

  get count(): number {
    return this.datas.length;
  }

  /** Exact size of `build().data` now. */
  get sizeBytes(): number {
    return OVERHEAD + this.protobufSize;
  }

  /** Exact size in bytes of the aggregated record (magic + protobuf + MD5) if `record` were added now. */
  sizeWith(record: UserRecordInput): number {
    let added = 0;
    let pkIndex = this.partitionKeys.index.get(record.partitionKey);
    if (pkIndex === undefined) {
      pkIndex = this.partitionKeys.keys.length;
      added += lengthDelimitedSize(Buffer.byteLength(record.partitionKey, 'utf8'));
    }
    let ehkIndex = -1;
    const ehk = record.explicitHashKey;
    if (ehk) {
      const known = this.explicitHashKeys.index.get(ehk);
      if (known === undefined) {
        ehkIndex = this.explicitHashKeys.keys.length;
        added += lengthDelimitedSize(Buffer.byteLength(ehk, 'utf8'));
      } else {
        ehkIndex = known;
      }
    }
    added += lengthDelimitedSize(recordBodySize(pkIndex, ehkIndex, record.data.length));
    return OVERHEAD + this.protobufSize + added;
  }

  /** True if adding `record` keeps the record within maxBytes/maxCount (an empty aggregator always accepts one). */
  fits(record: UserRecordInput): boolean {
    const count = this.datas.length;
    if (count === 0) return true;
    return count < this.maxCount && this.sizeWith(record) <= this.maxBytes;
  }

  /** Adds `record` unconditionally: check `fits` first to respect the limits. */
  add(record: UserRecordInput): void {
    const pk = record.partitionKey;
    let pkIndex = this.partitionKeys.index.get(pk);
    if (pkIndex === undefined) {
      const length = Buffer.byteLength(pk, 'utf8');
      pkIndex = this.partitionKeys.add(pk, length);
      this.protobufSize += lengthDelimitedSize(length);
    }
    let ehkIndex = -1;
    const ehk = record.explicitHashKey;
    if (ehk) {
      const known = this.explicitHashKeys.index.get(ehk);
      if (known === undefined) {
        const length = Buffer.byteLength(ehk, 'utf8');
        ehkIndex = this.explicitHashKeys.add(ehk, length);
        this.protobufSize += lengthDelimitedSize(length);
      } else {
        ehkIndex = known;
      }
    }
    const bodySize = recordBodySize(pkIndex, ehkIndex, record.data.length);
    this.protobufSize += lengthDelimitedSize(bodySize);
    this.pkIndexes.push(pkIndex);
    this.ehkIndexes.push(ehkIndex);
    this.bodySizes.push(bodySize);
    this.datas.push(record.data);
  }

  /**
   * The aggregated Kinesis record: its data (magic + protobuf + MD5), and the key to put it with, the first user
   * record's partition key and explicit hash key (if any). Throws when empty (there is no key to put it with).
   */
  build(): AggregatedRecordOutput {
    if (this.datas.length === 0) throw new Error('Aggregator.build(): no user records to aggregate');
    const data = this.toBuffer();
    const partitionKey = this.partitionKeys.keys[this.pkIndexes[0]];
    const ehkIndex = this.ehkIndexes[0];
    return ehkIndex < 0
      ? { data, partitionKey }
      : { data, partitionKey, explicitHashKey: this.explicitHashKeys.keys[ehkIndex] };
  }

  /** Just the aggregated data (magic + protobuf + MD5); valid (zero user records) even when empty. */
  toBuffer(): Buffer {
    const protobufEnd = KPL_MAGIC.length + this.protobufSize;
    const out = Buffer.allocUnsafe(protobufEnd + MD5_LENGTH);
    KPL_MAGIC.copy(out, 0);
    let offset = writeTable(out, KPL_MAGIC.length, TAG_PARTITION_KEY_TABLE, this.partitionKeys);
    offset = writeTable(out, offset, TAG_EXPLICIT_HASH_KEY_TABLE, this.explicitHashKeys);
    const { pkIndexes, ehkIndexes, bodySizes, datas } = this;
    for (let i = 0; i < datas.length; i++) {
      out[offset++] = TAG_RECORD;
      offset = writeVarint(out, offset, bodySizes[i]);
      out[offset++] = TAG_PARTITION_KEY_INDEX;
      offset = writeVarint(out, offset, pkIndexes[i]);
      if (ehkIndexes[i] >= 0) {
        out[offset++] = TAG_EXPLICIT_HASH_KEY_INDEX;
        offset = writeVarint(out, offset, ehkIndexes[i]);
      }
      const data = datas[i];
      out[offset++] = TAG_DATA;
      offset = writeVarint(out, offset, data.length);
      out.set(data, offset);
      offset += data.length;
    }
    // Guards the size bookkeeping: a mismatch would leave uninitialised bytes in the record.
    if (offset !== protobufEnd)
      throw new Error(`Aggregator size mismatch: wrote ${offset}, expected ${protobufEnd}`);
    createHash('md5').update(out.subarray(KPL_MAGIC.length, protobufEnd)).digest().copy(out, protobufEnd);
    return out;
  }

  clear(): void {
    this.partitionKeys = new KeyTable();
    this.explicitHashKeys = new KeyTable();
    this.pkIndexes = [];
    this.ehkIndexes = [];
    this.bodySizes = [];
    this.datas = [];
    this.protobufSize = 0;
  }
}

function writeTable(out: Buffer, offset: number, fieldTag: number, table: KeyTable): number {
  const { keys, byteLengths } = table;
  for (let i = 0; i < keys.length; i++) {
    out[offset++] = fieldTag;
    offset = writeVarint(out, offset, byteLengths[i]);
    offset += out.write(keys[i], offset, byteLengths[i], 'utf8');
  }
  return offset;
}

/** One aggregate of all `records` (no size limit), e.g. for tests and one-off encoding. */
export function aggregate(records: UserRecordInput[]): Buffer {
  const aggregator = new Aggregator({ maxBytes: Number.POSITIVE_INFINITY });
  for (const record of records) aggregator.add(record);
  return aggregator.toBuffer();
}
