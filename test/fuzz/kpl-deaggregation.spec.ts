/**
 * Fuzz: KPL deaggregation (libs/kinesis/src/aggregation). Contract: `deaggregate` never throws; it returns the
 * sub-records of a valid aggregate, or undefined (the caller delivers the record whole). Costs are bounded by
 * counts: every sub-record takes at least 6 protobuf bytes, every data Buffer is a view into the input, and the
 * wire reader reads each byte at most once.
 */
import fc from 'fast-check';
import {
  Aggregator,
  aggregate,
  deaggregate,
  type DeaggregatedRecord,
  type UserRecordInput,
} from '../../libs/kinesis/src/aggregation/index.js';
import { WireReader } from '../../libs/kinesis/src/aggregation/wire.js';
import {
  anyBytes,
  hashKey,
  hostileAggregate,
  hugeAggregate,
  field,
  kplEnvelope,
  mutated,
  text,
  utf8,
  varint,
  varintField,
} from './arbitraries.js';
import { assertPrototypesClean, assertProperty, CostLog, decodeWithin, runs } from './invariants.js';

const OVERHEAD = 4 + 16; // magic + MD5
const MIN_RECORD_BYTES = 6; // 1a 04 | 08 00 | 1a 00: tag, length, pk index, empty data
const costs = new CostLog();
afterAll(() => process.env.FUZZ_REPORT && console.log(`KPL deaggregation\n${costs.summary()}`));

/** Counts WireReader reads while `run` runs: the count-based bound on time. */
function countingReads<T>(run: () => T): { value: T; reads: number } {
  const proto = WireReader.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = { varint: proto.varint, skip: proto.skip };
  let reads = 0;
  for (const name of ['varint', 'skip'] as const) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      reads++;
      return originals[name].apply(this, args);
    };
  }
  try {
    return { value: run(), reads };
  } finally {
    Object.assign(proto, originals);
  }
}

/** The checks every input gets: contract, bounded output, no copies, clean prototypes. */
function checkDeaggregation(input: Buffer, label: string): DeaggregatedRecord[] | undefined {
  const { value } = decodeWithin(() => costs.time(label, input.length, () => deaggregate(input)), []);
  assertPrototypesClean();
  if (value === undefined) return undefined;
  expect(value.length).toBeLessThanOrEqual(Math.max(0, input.length - OVERHEAD) / MIN_RECORD_BYTES);
  // Plain loops, one expect each: jest's matchers are too slow to run per sub-record of a 174k-record aggregate.
  let dataBytes = 0;
  let copies = 0;
  const keys = new Set<string>();
  for (const record of value) {
    if (record.data.buffer !== input.buffer) copies++; // a view into the input, not a copy
    dataBytes += record.data.length;
    keys.add(record.partitionKey);
  }
  expect(copies).toBe(0);
  expect(dataBytes).toBeLessThanOrEqual(input.length);
  // Keys are shared through the table: the distinct ones are bounded by the input.
  let keyBytes = 0;
  for (const key of keys) keyBytes += Buffer.byteLength(key);
  expect(keyBytes).toBeLessThanOrEqual(input.length * 3); // invalid UTF-8 bytes each become a 3-byte U+FFFD
  return value;
}

const userRecord: fc.Arbitrary<UserRecordInput> = fc.record(
  {
    data: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    partitionKey: text(256, 1),
    explicitHashKey: hashKey,
  },
  { requiredKeys: ['data', 'partitionKey'] },
);

/** Offsets of the top-level record fields (tag 0x1a) of an AggregatedRecord's protobuf. */
function recordFieldOffsets(protobuf: Buffer): number[] {
  const offsets: number[] = [];
  const reader = new WireReader(protobuf, 0, protobuf.length);
  while (reader.pos < protobuf.length) {
    const at = reader.pos;
    const tag = reader.tag();
    if (tag === 0x1a) offsets.push(at);
    reader.pos = reader.lengthDelimited(); // every top-level field the Aggregator writes is length-delimited
  }
  return offsets;
}

const plain = (records: Array<UserRecordInput | DeaggregatedRecord>) =>
  records.map((r) => ({
    data: r.data.toString('base64'),
    partitionKey: r.partitionKey,
    explicitHashKey: r.explicitHashKey || undefined,
  }));

describe('fuzz: KPL deaggregation', () => {
  it('round-trips: deaggregate(aggregate(records)) gives the records back', () => {
    assertProperty(
      fc.property(fc.array(userRecord, { maxLength: 60 }), (records) => {
        const out = checkDeaggregation(aggregate(records), 'round trip');
        expect(plain(out!)).toEqual(plain(records));
      }),
      { numRuns: runs(200) },
    );
  });

  it('round-trips through a size-limited Aggregator: each build is one valid aggregate of the next records', () => {
    assertProperty(
      fc.property(
        fc.array(userRecord, { maxLength: 80 }),
        fc.integer({ min: 64, max: 4096 }),
        (records, maxBytes) => {
          const aggregator = new Aggregator({ maxBytes });
          const back: DeaggregatedRecord[] = [];
          const flush = () => {
            const built = aggregator.build();
            expect(built.data.length).toBe(aggregator.sizeBytes);
            back.push(...checkDeaggregation(built.data, 'aggregator')!);
            aggregator.clear();
          };
          for (const record of records) {
            if (!aggregator.fits(record)) flush();
            aggregator.add(record);
          }
          if (aggregator.count > 0) flush();
          expect(plain(back)).toEqual(plain(records));
        },
      ),
      { numRuns: runs(100) },
    );
  });

  it('keeps exact sizes across varint boundaries: >128 and >16,384 keys, data of 127/128/16,383/16,384 bytes', () => {
    const shape = fc.record({
      count: fc.integer({ min: 1, max: 20_000 }),
      distinctKeys: fc.integer({ min: 1, max: 20_000 }),
      lengths: fc.array(fc.constantFrom(0, 1, 127, 128, 129, 16_383, 16_384, 16_385), {
        minLength: 1,
        maxLength: 8,
      }),
      withHashKeys: fc.boolean(),
    });
    assertProperty(
      fc.property(shape, ({ count, distinctKeys, lengths, withHashKeys }) => {
        const aggregator = new Aggregator({ maxBytes: Number.POSITIVE_INFINITY });
        // The given lengths first, then short data: sizes stay small while indexes cross 128 and 16,384.
        const lengthOf = (i: number) => (i < lengths.length ? lengths[i] : [0, 1, 127, 128][i % 4]);
        const datas = new Map<number, Buffer>();
        const dataOf = (i: number) => {
          const n = lengthOf(i);
          if (!datas.has(n)) datas.set(n, Buffer.alloc(n, n % 251));
          return datas.get(n)!;
        };
        for (let i = 0; i < count; i++) {
          const key = String(i % distinctKeys);
          aggregator.add({
            data: dataOf(i),
            partitionKey: key,
            explicitHashKey: withHashKeys ? key : undefined,
          });
        }
        const data = aggregator.toBuffer(); // throws if its size bookkeeping is off by a byte
        expect(data.length).toBe(aggregator.sizeBytes);
        const out = checkDeaggregation(data, 'varint boundaries')!;
        expect(out.length).toBe(count);
        const last = out[count - 1];
        expect([last.partitionKey, last.explicitHashKey, last.data.length]).toEqual([
          String((count - 1) % distinctKeys),
          withHashKeys ? String((count - 1) % distinctKeys) : undefined,
          lengthOf(count - 1),
        ]);
      }),
      { numRuns: runs(8) },
    );
  });

  it('never throws on arbitrary bytes behind the magic, with a correct or a wrong MD5', () => {
    assertProperty(
      fc.property(anyBytes, fc.boolean(), (protobuf, badMd5) => {
        checkDeaggregation(kplEnvelope(protobuf, badMd5), 'random protobuf');
      }),
      { numRuns: runs(200) },
    );
  });

  it('never throws on aggregates with lying lengths, indexes, varints, groups and truncation', () => {
    assertProperty(
      fc.property(hostileAggregate, (input) => {
        const { value, reads } = countingReads(() => checkDeaggregation(input, 'hostile protobuf'));
        // Every varint consumes at least one byte or ends the decode, and each skip follows a tag read.
        expect(reads).toBeLessThanOrEqual(2 * input.length + 2);
        if (value) for (const r of value) expect(r.partitionKey).toEqual(expect.any(String));
      }),
      { numRuns: runs(600) },
    );
  });

  it('never throws on mutated valid aggregates, re-sealed with a correct MD5 so the protobuf reader sees them', () => {
    const protobuf = fc
      .array(userRecord, { minLength: 1, maxLength: 10 })
      .map((records) => aggregate(records).subarray(4, -16));
    assertProperty(
      fc.property(mutated(protobuf), (bytes) => {
        const { reads } = countingReads(() => checkDeaggregation(kplEnvelope(bytes), 'mutated aggregate'));
        expect(reads).toBeLessThanOrEqual(2 * (bytes.length + 20) + 2);
      }),
      { numRuns: runs(400) },
    );
  });

  it('stays linear on 1 MiB aggregates: ~174k records, ~500k keys, huge declared lengths, bad indexes', () => {
    assertProperty(
      fc.property(hugeAggregate, (input) => {
        const { reads } = countingReads(() => checkDeaggregation(input, 'huge aggregate'));
        expect(reads).toBeLessThanOrEqual(2 * input.length + 2);
      }),
      { numRuns: runs(12) },
    );
  });

  it('never hides a record: a record field behind a tag wider than 32 bits makes the aggregate not decode', () => {
    // Such a tag is no valid protobuf; read as an unknown field it would drop the record silently here, while
    // protobuf-java (the KCL) reads its low 32 bits as the record field and delivers it.
    const wideTag = fc.bigInt({ min: 1n, max: 2n ** 38n }).map((high) => varint((high << 32n) | 0x1an));
    assertProperty(
      fc.property(
        fc.array(userRecord, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        wideTag,
        (records, at, tag) => {
          const protobuf = aggregate(records).subarray(4, -16);
          // Record fields are `1a <length> <body>` after the tables: re-tag the one at `at` (mod count).
          const fields = recordFieldOffsets(protobuf);
          const start = fields[at % fields.length];
          const input = kplEnvelope(
            Buffer.concat([protobuf.subarray(0, start), tag, protobuf.subarray(start + 1)]),
          );
          expect(checkDeaggregation(input, 'wide tag')).toBeUndefined();
        },
      ),
      { numRuns: runs(100) },
    );
  });

  it('rejects varints past 64 bits and lengths past the input, whatever their size', () => {
    for (const length of [2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 70n]) {
      const protobuf = Buffer.concat([Buffer.from([0x0a]), varint(length), Buffer.from('k')]);
      expect(checkDeaggregation(kplEnvelope(protobuf), 'edges')).toBeUndefined();
    }
    expect(checkDeaggregation(kplEnvelope(Buffer.alloc(11, 0xff)), 'edges')).toBeUndefined();
    // Regression: a second record behind the tag 1a + 2^35 was skipped as an unknown field ([one] was returned).
    const record = (data: string) =>
      field(0x1a, Buffer.concat([varintField(0x08, 0n), field(0x1a, utf8(data))]));
    const hidden = Buffer.concat([
      field(0x0a, utf8('k')),
      record('one'),
      varint(2n ** 35n + 0x1an),
      record('two').subarray(1),
    ]);
    expect(checkDeaggregation(kplEnvelope(hidden), 'edges')).toBeUndefined();
  });
});
