import { createHash } from 'node:crypto';

import agg from 'aws-kinesis-agg';

import {
  Aggregator,
  KPL_MAGIC,
  MAX_HASH_KEY,
  aggregate,
  deaggregate,
  effectiveHashKey,
  isAggregated,
  parseExplicitHashKey,
  partitionKeyToHashKey,
  type DeaggregatedRecord,
  type UserRecordInput,
} from './index.js';

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random binary data: a random 61-byte pattern repeated (byte-by-byte filling is slow under jest's VM). */
function randomBuffer(random: () => number, length: number): Buffer {
  const pattern = Buffer.from(Array.from({ length: 61 }, () => Math.floor(random() * 256)));
  return length === 0 ? Buffer.alloc(0) : Buffer.alloc(length, pattern);
}

/** Wraps protobuf bytes into the KPL envelope with a correct MD5. */
function envelope(protobuf: Buffer | number[]): Buffer {
  const body = Buffer.from(protobuf);
  return Buffer.concat([KPL_MAGIC, body, createHash('md5').update(body).digest()]);
}

// Base64 data: jest compares Buffers byte by byte, far too slowly for thousands of records.
function plain(records: DeaggregatedRecord[] | undefined) {
  return records?.map((r) => ({
    data: r.data.toString('base64'),
    partitionKey: r.partitionKey,
    explicitHashKey: r.explicitHashKey,
  }));
}

function expected(records: UserRecordInput[]) {
  return records.map((r) => ({
    data: r.data.toString('base64'),
    partitionKey: r.partitionKey,
    explicitHashKey: r.explicitHashKey || undefined,
  }));
}

function occurrences(haystack: Buffer, needle: string): number {
  let count = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) count++;
  return count;
}

const MIXED: UserRecordInput[] = [
  { data: Buffer.from('hello'), partitionKey: 'key-alpha' },
  {
    data: Buffer.from([0, 255, 0xf3, 0x89, 0x9a, 0xc2, 10, 13]),
    partitionKey: 'key-beta',
    explicitHashKey: '12345',
  },
  { data: Buffer.alloc(0), partitionKey: 'key-alpha' },
  { data: Buffer.from('ünïcödé 🚀'), partitionKey: 'ключ-🔑-鍵', explicitHashKey: MAX_HASH_KEY.toString() },
  { data: Buffer.alloc(300, 7), partitionKey: 'key-beta', explicitHashKey: '12345' },
  { data: Buffer.from('last'), partitionKey: 'key-gamma', explicitHashKey: '0' },
];

describe('hash keys', () => {
  it('maps a partition key to the MD5 of its UTF-8 bytes as a big-endian integer', () => {
    expect(partitionKeyToHashKey('abc')).toBe(0x900150983cd24fb0d6963f7d28e17f72n);
    expect(partitionKeyToHashKey('é')).toBe(
      BigInt('0x' + createHash('md5').update('é', 'utf8').digest('hex')),
    );
  });

  it('accepts decimal hash keys in [0, 2^128 - 1] and rejects anything else', () => {
    expect(parseExplicitHashKey('0')).toBe(0n);
    expect(parseExplicitHashKey(MAX_HASH_KEY.toString())).toBe(MAX_HASH_KEY);
    expect(parseExplicitHashKey('000042')).toBe(42n);
    for (const bad of [
      '-1',
      (MAX_HASH_KEY + 1n).toString(),
      '1'.repeat(40),
      '0x10',
      '1e3',
      '1.5',
      ' 1',
      '+1',
      '',
      'abc',
    ]) {
      expect(parseExplicitHashKey(bad)).toBeUndefined();
    }
  });

  it('routes by the explicit hash key when there is one', () => {
    expect(effectiveHashKey('abc')).toBe(0x900150983cd24fb0d6963f7d28e17f72n);
    expect(effectiveHashKey('abc', '7')).toBe(7n);
    expect(effectiveHashKey('abc', '-7')).toBeUndefined();
  });
});

describe('aggregate and deaggregate', () => {
  it('round-trips binary and empty data, unicode keys and explicit hash keys', () => {
    const data = aggregate(MIXED);
    expect(data.subarray(0, 4)).toEqual(Buffer.from([0xf3, 0x89, 0x9a, 0xc2]));
    expect(isAggregated(data)).toBe(true);
    expect(plain(deaggregate(data))).toEqual(expected(MIXED));
  });

  it('deduplicates partition keys and explicit hash keys across many records', () => {
    const random = prng(1);
    const records: UserRecordInput[] = Array.from({ length: 2_000 }, (_, i) => ({
      data: randomBuffer(random, Math.floor(random() * 50)),
      partitionKey: `partition-key-${i % 300}`,
      explicitHashKey: i % 3 === 0 ? `${1_000_000_000 + (i % 7)}` : undefined,
    }));
    const data = aggregate(records);
    expect(plain(deaggregate(data))).toEqual(expected(records));
    expect(occurrences(data, 'partition-key-299')).toBe(1);
    expect(occurrences(data, '1000000006')).toBe(1);
    // Tables written once each: 300 keys of 17-ish bytes, not 2,000.
    const payload = records.reduce((sum, r) => sum + r.data.length, 0);
    expect(data.length - payload).toBeLessThan(300 * 20 + 7 * 12 + 2_000 * 10 + 20);
  });

  it('returns views into the aggregate rather than copies', () => {
    const data = aggregate(MIXED);
    const [first] = deaggregate(data)!;
    expect(first.data.buffer).toBe(data.buffer);
  });

  it('encodes an empty aggregate as zero user records', () => {
    expect(deaggregate(aggregate([]))).toEqual([]);
  });
});

describe('Aggregator', () => {
  it('predicts its exact size for many random additions', () => {
    const random = prng(2);
    const aggregator = new Aggregator();
    const keys = ['a', 'ü', '🔑'.repeat(50), 'k'.repeat(200)];
    for (let i = 0; i < 400; i++) {
      // Data sizes cross the 1-, 2- and 3-byte varint boundaries; key indexes pass 127.
      const size = [0, 1, 127, 128, 16_383, 16_384, Math.floor(random() * 400)][Math.floor(random() * 7)];
      const record: UserRecordInput = {
        data: randomBuffer(random, size),
        partitionKey: random() < 0.5 ? `pk-${i}` : keys[Math.floor(random() * keys.length)],
        explicitHashKey: random() < 0.3 ? `${Math.floor(random() * 1e9)}` : random() < 0.2 ? '' : undefined,
      };
      const predicted = aggregator.sizeWith(record);
      aggregator.add(record);
      expect(aggregator.sizeBytes).toBe(predicted);
      if (i % 37 === 0) expect(aggregator.build().data.length).toBe(predicted);
    }
    expect(aggregator.build().data.length).toBe(aggregator.sizeBytes);
    expect(aggregator.count).toBe(400);
  });

  it('respects maxBytes and maxCount in fits, and always accepts a first record', () => {
    const random = prng(3);
    const aggregator = new Aggregator({ maxBytes: 1_000 });
    const next = () => ({
      data: randomBuffer(random, 10 + Math.floor(random() * 90)),
      partitionKey: `k${random()}`,
    });
    let record = next();
    while (aggregator.fits(record)) {
      aggregator.add(record);
      record = next();
    }
    expect(aggregator.sizeBytes).toBeLessThanOrEqual(1_000);
    expect(aggregator.sizeWith(record)).toBeGreaterThan(1_000);
    expect(aggregator.build().data.length).toBeLessThanOrEqual(1_000);

    aggregator.clear();
    expect(aggregator.count).toBe(0);
    expect(aggregator.fits({ data: Buffer.alloc(5_000), partitionKey: 'big' })).toBe(true);

    const counted = new Aggregator({ maxCount: 2 });
    counted.add(next());
    expect(counted.fits(next())).toBe(true);
    counted.add(next());
    expect(counted.fits(next())).toBe(false);
  });

  it('builds with the first user record keys, and starts afresh after clear', () => {
    const aggregator = new Aggregator();
    for (const record of MIXED.slice(1)) aggregator.add(record);
    expect(aggregator.build()).toMatchObject({ partitionKey: 'key-beta', explicitHashKey: '12345' });
    aggregator.clear();
    aggregator.add(MIXED[0]);
    const built = aggregator.build();
    expect(built).toEqual({ data: expect.any(Buffer), partitionKey: 'key-alpha' });
    expect(plain(deaggregate(built.data))).toEqual(expected([MIXED[0]]));
    aggregator.clear();
    expect(() => aggregator.build()).toThrow(/no user records/);
  });
});

describe('deaggregate rejects what is not a valid aggregate', () => {
  // Partition key table ['a'], one record { partition_key_index: 0, data: 'xy' }.
  const VALID = [0x0a, 0x01, 0x61, 0x1a, 0x06, 0x08, 0x00, 0x1a, 0x02, 0x78, 0x79];

  it('accepts the hand-built baseline', () => {
    expect(plain(deaggregate(envelope(VALID)))).toEqual([
      { data: 'eHk=', partitionKey: 'a', explicitHashKey: undefined },
    ]);
  });

  it('rejects non-aggregated data and a wrong MD5', () => {
    expect(deaggregate(Buffer.from('plain old record'))).toBeUndefined();
    expect(isAggregated(Buffer.from('plain old record'))).toBe(false);
    expect(deaggregate(Buffer.alloc(0))).toBeUndefined();
    const corrupted = envelope(VALID);
    corrupted[corrupted.length - 1] ^= 1;
    expect(deaggregate(corrupted)).toBeUndefined();
    const flipped = aggregate(MIXED);
    flipped[10] ^= 0x40;
    expect(deaggregate(flipped)).toBeUndefined();
  });

  it('rejects truncated aggregates', () => {
    const data = aggregate(MIXED);
    expect(deaggregate(data.subarray(0, data.length - 1))).toBeUndefined();
    expect(deaggregate(KPL_MAGIC)).toBeUndefined();
    expect(deaggregate(data.subarray(0, 19))).toBeUndefined();
    // Protobuf cut inside the data field, even with a matching MD5.
    expect(deaggregate(envelope(VALID.slice(0, -1)))).toBeUndefined();
  });

  it('rejects garbage protobuf behind a valid MD5', () => {
    expect(deaggregate(envelope([0xff, 0xff, 0xff]))).toBeUndefined(); // truncated varint
    expect(deaggregate(envelope([0x0f, 0x00]))).toBeUndefined(); // wire type 7
    expect(deaggregate(envelope([0x00, 0x00]))).toBeUndefined(); // field number 0
    expect(deaggregate(envelope([0x0a, 0x05, 0x61]))).toBeUndefined(); // length past the end
    expect(deaggregate(envelope(Array(11).fill(0x80)))).toBeUndefined(); // over-long varint
    expect(deaggregate(envelope([0x0c]))).toBeUndefined(); // stray end-group
  });

  it('rejects out-of-range indexes and missing required fields', () => {
    expect(deaggregate(envelope([0x0a, 0x01, 0x61, 0x1a, 0x04, 0x08, 0x01, 0x1a, 0x00]))).toBeUndefined();
    expect(deaggregate(envelope([0x1a, 0x04, 0x08, 0x00, 0x1a, 0x00]))).toBeUndefined(); // empty table
    const ehkOutOfRange = [
      0x0a, 0x01, 0x61, 0x12, 0x01, 0x35, 0x1a, 0x06, 0x08, 0x00, 0x10, 0x01, 0x1a, 0x00,
    ];
    expect(deaggregate(envelope(ehkOutOfRange))).toBeUndefined();
    expect(deaggregate(envelope([0x0a, 0x01, 0x61, 0x1a, 0x02, 0x1a, 0x00]))).toBeUndefined(); // no index
    expect(deaggregate(envelope([0x0a, 0x01, 0x61, 0x1a, 0x02, 0x08, 0x00]))).toBeUndefined(); // no data
    const hugeIndex = [0x0a, 0x01, 0x61, 0x1a, 0x0d, 0x08, ...Array(9).fill(0xff), 0x01, 0x1a, 0x00];
    expect(deaggregate(envelope(hugeIndex))).toBeUndefined();
  });

  it('skips unknown fields of every wire type, tags, and accepts records before tables', () => {
    const record = [
      ...[0x08, 0x00, 0x10, 0x00, 0x1a, 0x01, 0x7a], // pk 0, ehk 0, data 'z'
      ...[0x22, 0x05, 0x0a, 0x01, 0x74, 0x12, 0x00], // tag { key: 't', value: '' }
      ...[0x28, 0x96, 0x01], // field 5 varint
      ...[0x31, 1, 2, 3, 4, 5, 6, 7, 8], // field 6 fixed64
      ...[0x3d, 1, 2, 3, 4], // field 7 fixed32
      ...[0x43, 0x48, 0x01, 0x4b, 0x4c, 0x44], // field 8 group holding a varint and a nested group
    ];
    const protobuf = [0x1a, record.length, ...record, 0x0a, 0x01, 0x61, 0x12, 0x02, 0x39, 0x39, 0x78, 0x01];
    expect(plain(deaggregate(envelope(protobuf)))).toEqual([
      { data: 'eg==', partitionKey: 'a', explicitHashKey: '99' },
    ]);
    // An unterminated group is malformed.
    expect(deaggregate(envelope([...protobuf, 0x43, 0x48, 0x01]))).toBeUndefined();
  });

  it('never throws on random corruption', () => {
    const random = prng(4);
    const valid = aggregate(MIXED).subarray(4, -16);
    for (let i = 0; i < 2_000; i++) {
      const mutated = Buffer.from(valid.subarray(0, Math.floor(random() * (valid.length + 1))));
      for (let j = 0; j < 3; j++) mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
      expect(() => deaggregate(envelope(mutated))).not.toThrow();
    }
  });
});

describe('interoperability with aws-kinesis-agg', () => {
  function theirDeaggregate(data: Buffer) {
    let result: agg.UserRecord[] | undefined;
    agg.deaggregateSync(
      { data: data.toString('base64'), partitionKey: 'outer', sequenceNumber: '1' },
      true,
      (error, records) => {
        if (error) throw error;
        result = records;
      },
    );
    return result!.map((r) => ({
      data: r.data,
      partitionKey: r.partitionKey,
      explicitHashKey: r.explicitPartitionKey,
    }));
  }

  it('aws-kinesis-agg deaggregates our aggregates', () => {
    // It reads an absent explicit_hash_key_index as 0, so keep the records either all with or all without one.
    const withoutEhk = MIXED.map(({ data, partitionKey }) => ({ data, partitionKey }));
    expect(theirDeaggregate(aggregate(withoutEhk))).toEqual(expected(withoutEhk));
    const withEhk = MIXED.map((r, i) => ({ ...r, explicitHashKey: r.explicitHashKey ?? `${i * 1000}` }));
    expect(theirDeaggregate(aggregate(withEhk))).toEqual(expected(withEhk));
  });

  it('we deaggregate the aggregates aws-kinesis-agg builds', async () => {
    const random = prng(5);
    // Non-numeric keys: aws-kinesis-agg orders its key table with Object.keys, which puts integer-like keys first.
    const records: UserRecordInput[] = Array.from({ length: 6_000 }, (_, i) => ({
      data: randomBuffer(random, 1 + Math.floor(random() * 400)),
      partitionKey: `key-${i % 50}-ü`,
      explicitHashKey: i % 4 === 0 ? `${i % 9}${'0'.repeat(30)}` : undefined,
    }));
    const encoded: agg.EncodedRecord[] = [];
    await new Promise<void>((resolve, reject) =>
      agg.aggregate(
        records,
        (record, done) => {
          encoded.push(record);
          done();
        },
        resolve,
        reject,
      ),
    );
    expect(encoded.length).toBeGreaterThan(1); // 1.2 MB of data: split across aggregates
    const ours = encoded.flatMap((record) => plain(deaggregate(record.data)) ?? []);
    expect(ours).toEqual(expected(records));
    expect(encoded[0].partitionKey).toBe(records[0].partitionKey);
  });
});
