/** The few protobuf wire-format primitives the KPL aggregation format needs, hand-rolled for speed. */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** The tag byte of a field (field numbers 1-15 fit one byte). */
export function tag(fieldNumber: number, wireType: number): number {
  return (fieldNumber << 3) | wireType;
}

/** Bytes a non-negative integer (exact up to 2^53) takes as a varint. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  let size = 4;
  // Division rather than shifts: lengths and indexes may exceed 2^31.
  for (let rest = Math.floor(value / 0x200000); rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** Writes `value` as a varint at `offset`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[offset++] = value;
  return offset;
}

/** Bytes of a length-delimited field with a one-byte tag. */
export function lengthDelimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Marks malformed input: the reader never throws, callers check for this. */
export const MALFORMED = -1;

const MAX_TAG = 0xffff_ffff;

// Java protobuf's default recursion limit: bounds the nesting of (deprecated) groups.
const MAX_GROUP_DEPTH = 100;

/** A cursor over protobuf bytes in [pos, end) that reports malformed input as MALFORMED instead of throwing. */
export class WireReader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  /** A varint as a number (exact below 2^53, larger values stay larger), or MALFORMED if truncated/too long. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) return MALFORMED;
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 0x80;
    }
    return MALFORMED;
  }

  /**
   * A field tag, or MALFORMED: field number 0, and tags past 32 bits (field numbers stop at 2^29-1). Readers
   * disagree on such a tag (protobuf-java keeps its low 32 bits, protobufjs fails), so taking it as some unknown
   * field would let an aggregate hide a record from this reader that another one delivers.
   */
  tag(): number {
    const value = this.varint();
    return value < 8 || value > MAX_TAG ? MALFORMED : value;
  }

  /** Reads a length prefix and returns the end of the payload that starts at `pos`, or MALFORMED. */
  lengthDelimited(): number {
    const length = this.varint();
    if (length === MALFORMED || length > this.end - this.pos) return MALFORMED;
    return this.pos + length;
  }

  /** Skips the value of an unknown field with tag `fieldTag`; false if malformed. */
  skip(fieldTag: number, depth = 0): boolean {
    switch (fieldTag % 8) {
      case WIRE_VARINT:
        return this.varint() !== MALFORMED;
      case WIRE_FIXED64:
        return this.advance(8);
      case WIRE_FIXED32:
        return this.advance(4);
      case WIRE_LENGTH_DELIMITED: {
        const end = this.lengthDelimited();
        if (end === MALFORMED) return false;
        this.pos = end;
        return true;
      }
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) return false;
        const endTag = fieldTag - WIRE_START_GROUP + WIRE_END_GROUP;
        while (this.pos < this.end) {
          const inner = this.tag();
          if (inner === MALFORMED) return false;
          if (inner === endTag) return true;
          if (!this.skip(inner, depth + 1)) return false;
        }
        return false;
      }
      default:
        // A stray end-group or the reserved wire types 6 and 7.
        return false;
    }
  }

  private advance(bytes: number): boolean {
    if (this.end - this.pos < bytes) return false;
    this.pos += bytes;
    return true;
  }
}
