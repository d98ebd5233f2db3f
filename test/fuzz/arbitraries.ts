/**
 * Generators shared by the fuzz suites: hostile JSON (as TEXT, so `__proto__` stays a plain key the way a record
 * carries it), pathological inputs up to the 1 MiB record limit, byte mutations, and KPL protobuf built field by
 * field (so lengths, counts, indexes and varints can lie).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { KPL_MAGIC } from '../../libs/kinesis/src/aggregation/index.js';

/** Kinesis' record limit (data + partition key): the largest input a decoder can be handed. */
export const RECORD_LIMIT = 1024 * 1024;

export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** Keys that matter to prototypes, to the decoders' field names, and anything else. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PROTO_KEYS, 'polluted', 'toString', 'hasOwnProperty', 'valueOf', 'toJSON'),
  fc.constantFrom(
    'v',
    'id',
    'kind',
    'act',
    'meta$',
    'replyTo',
    'pattern',
    'data',
    'custom$',
    'track',
    'sync',
  ),
  fc.string({ maxLength: 6 }),
);

const scalarText = fc.oneof(
  fc.jsonValue({ maxDepth: 0 }).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '-0',
    '1e999',
    '-1e999',
    '1e-999',
    '123456789012345678901234567890',
    '"\\u0000"',
    '"\\ud800"',
  ),
);

/** Any JSON text with hostile keys at any depth (a few levels: deep nesting has its own generator). */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    scalarText,
    fc.array(tie('value'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
    fc
      .array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 })
      .map((kv) => `{${kv.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).value;

/** Texts written to pollute a prototype if a decoder merges or assigns what it parsed. */
export const POLLUTERS = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"__proto__":{"__proto__":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}',
];

/** One pathological JSON value (as text): what a cheap decoder must survive, each up to about 1 MiB. */
export const pathologicalText: fc.Arbitrary<string> = fc.oneof(
  // Deep nesting, 10k-100k levels: JSON.parse copes, recursive code (stringify, pattern walks) does not.
  fc
    .record({
      depth: fc.integer({ min: 10_000, max: 100_000 }),
      open: fc.constantFrom('[', '{"a":', '{"__proto__":', '{"constructor":'),
    })
    .map(({ depth, open }) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth)),
  // One huge string, with or without escapes.
  fc
    .record({
      length: fc.integer({ min: 1, max: RECORD_LIMIT - 16 }),
      char: fc.constantFrom('x', '\\n', 'é'),
    })
    .map(({ length, char }) => `"${char.repeat(Math.floor(length / char.length))}"`),
  // Many keys (also a repeated __proto__ key).
  fc
    .record({ count: fc.integer({ min: 1_000, max: 60_000 }), proto: fc.boolean() })
    .map(({ count, proto }) =>
      proto
        ? `{${'"__proto__":{"polluted":1},'.repeat(count)}"k":1}`
        : `{${Array.from({ length: count }, (_, i) => `"k${i}":${i}`).join(',')}}`,
    ),
  // Long numbers.
  fc.integer({ min: 1, max: RECORD_LIMIT - 8 }).map((n) => '9'.repeat(n)),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `0.${'0'.repeat(n)}1e${n}`),
  // A long flat array.
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => `[${'0,'.repeat(n)}0]`),
);

const HOLE = '\u0000HOLE\u0000';

/** `template` as JSON text with the value at `field` (top level) replaced by the raw JSON text `value`. */
export function withRawField(template: Record<string, unknown>, field: string, value: string): string {
  const text = JSON.stringify({ ...template, [field]: HOLE });
  return text.replace(JSON.stringify(HOLE), () => value);
}

/** An envelope (given as an object arbitrary) with one field replaced by hostile JSON text. */
export function envelopeWithHostileField(
  envelope: fc.Arbitrary<Record<string, unknown>>,
  fields: readonly string[],
  value: fc.Arbitrary<string> = fc.oneof(jsonText, fc.constantFrom(...POLLUTERS)),
): fc.Arbitrary<string> {
  return fc
    .tuple(envelope, fc.constantFrom(...fields, ...PROTO_KEYS), value)
    .map(([e, field, raw]) => withRawField(e, field, raw));
}

type Mutation = { at: number; kind: 'flip' | 'cut' | 'insert' | 'drop'; byte: number };

/** `base` with a few random byte mutations: flipped bytes, a truncation, inserted or dropped bytes. */
export function mutated(base: Buffer | fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  const bases: fc.Arbitrary<Buffer> = Buffer.isBuffer(base) ? fc.constant(base) : base;
  const mutation = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom<Mutation['kind']>('flip', 'cut', 'insert', 'drop'),
    byte: fc.integer({ min: 0, max: 255 }),
  });
  return fc.tuple(bases, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, mutations]) => {
    let bytes = Buffer.from(b);
    for (const { at, kind, byte } of mutations) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (kind === 'flip' && bytes.length > 0) bytes[i] ^= byte || 1;
      else if (kind === 'cut') bytes = bytes.subarray(0, i);
      else if (kind === 'insert')
        bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
      else bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
    }
    return bytes;
  });
}

export const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Arbitrary bytes, mostly short, sometimes up to 64 KiB (a random pattern repeated: byte-wise generation is slow). */
export const anyBytes: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 61 }), fc.integer({ min: 257, max: 65_536 }))
      .map(([pattern, length]) => Buffer.alloc(length, pattern)),
  },
);

// ---- ids, keys and streams as the encoders' contracts allow them ----

/** Ids the transport keeps: 1-128 characters of [A-Za-z0-9._:/+=@-]. */
export const safeId = fc.stringMatching(/^[A-Za-z0-9._:/+=@-]{1,128}$/);
/** A decimal 128-bit hash key (0 .. 2^128-1). */
export const hashKey = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(String);
/** Kinesis stream names. */
export const streamName = fc.stringMatching(/^[a-zA-Z0-9_.-]{1,128}$/);
/** A Seneca nid: 12 characters of [0-9a-z]. */
export const senecaNid = fc.stringMatching(/^[0-9a-z]{12}$/);
/** Well-formed Unicode text (lone surrogates do not survive UTF-8, in any codec). */
export const text = (maxLength: number, minLength = 0) => fc.string({ unit: 'binary', minLength, maxLength });

// ---- KPL protobuf, field by field ----

/** A protobuf varint of any unsigned value (also past 2^64: then it is 11+ bytes, which no reader may accept). */
export function varint(value: bigint): Buffer {
  const out: number[] = [];
  do {
    const low = Number(value & 0x7fn);
    value >>= 7n;
    out.push(value > 0n ? low | 0x80 : low);
  } while (value > 0n);
  return Buffer.from(out);
}

export const field = (tag: number, payload: Buffer, declaredLength: bigint = BigInt(payload.length)) =>
  Buffer.concat([varint(BigInt(tag)), varint(declaredLength), payload]);

export const varintField = (tag: number, value: bigint) =>
  Buffer.concat([varint(BigInt(tag)), varint(value)]);

/** Magic + protobuf + MD5 (correct, unless `badMd5`). */
export function kplEnvelope(protobuf: Buffer, badMd5 = false): Buffer {
  const md5 = createHash('md5').update(protobuf).digest();
  if (badMd5) md5[0] ^= 0x01;
  return Buffer.concat([KPL_MAGIC, protobuf, md5]);
}

/** Numbers where readers go wrong: 0, small, table edges, 2^31, 2^32, 2^53, 2^64-1, 2^64+. */
export const edgyUint: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 8n }),
  fc.constantFrom(127n, 128n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 53n + 1n),
  fc.constantFrom(2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 70n),
);

/** One Record message body: pk index, maybe ehk index, data, unknown fields; any of them lying. */
const kplRecordBody: fc.Arbitrary<Buffer> = fc
  .record({
    pkIndex: fc.option(edgyUint, { nil: undefined }),
    ehkIndex: fc.option(edgyUint, { nil: undefined }),
    data: fc.option(fc.uint8Array({ maxLength: 32 }), { nil: undefined }),
    dataLengthLie: fc.option(edgyUint, { nil: undefined }),
    extra: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: undefined }),
  })
  .map(({ pkIndex, ehkIndex, data, dataLengthLie, extra }) =>
    Buffer.concat([
      pkIndex === undefined ? Buffer.alloc(0) : varintField(0x08, pkIndex),
      ehkIndex === undefined ? Buffer.alloc(0) : varintField(0x10, ehkIndex),
      data === undefined ? Buffer.alloc(0) : field(0x1a, Buffer.from(data), dataLengthLie),
      extra === undefined ? Buffer.alloc(0) : field(0x22, Buffer.from(extra)), // tags (field 4)
    ]),
  );

/** One top-level AggregatedRecord field: a table entry, a record, an unknown field, a group, garbage. */
const kplTopField: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: text(8).map((k) => field(0x0a, utf8(k))) },
  { weight: 1, arbitrary: hashKey.map((k) => field(0x12, utf8(k))) },
  { weight: 4, arbitrary: kplRecordBody.map((body) => field(0x1a, body)) },
  { weight: 1, arbitrary: fc.tuple(kplRecordBody, edgyUint).map(([body, lie]) => field(0x1a, body, lie)) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 4, max: 100 }), edgyUint).map(([n, v]) => varintField(n << 3, v)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1, max: 200 })
      .map((d) => Buffer.concat([Buffer.alloc(d, 0x23), Buffer.alloc(d, 0x24)])),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(11, 0xff)) }, // a varint that never ends
);

/** An aggregate built from possibly lying fields, mostly with a correct MD5 so the protobuf reader runs. */
export const hostileAggregate: fc.Arbitrary<Buffer> = fc
  .tuple(fc.array(kplTopField, { maxLength: 24 }), fc.nat({ max: 9 }), fc.nat())
  .map(([fields, md5Roll, cut]) => {
    let protobuf = Buffer.concat(fields);
    if (md5Roll === 0 && protobuf.length > 0) protobuf = protobuf.subarray(0, cut % protobuf.length); // truncated
    return kplEnvelope(protobuf, md5Roll === 1);
  });

/** Up to 1 MiB aggregates that stress counts: many minimal records, many keys, huge declared sizes. */
export const hugeAggregate: fc.Arbitrary<Buffer> = fc.oneof(
  // ~174k records of 6 bytes (pk index 0, empty data) behind one partition key.
  fc
    .integer({ min: 1, max: Math.floor((RECORD_LIMIT - 32) / 6) })
    .map((n) =>
      kplEnvelope(
        Buffer.concat([field(0x0a, utf8('k')), Buffer.alloc(n * 6, Buffer.from([0x1a, 4, 8, 0, 0x1a, 0]))]),
      ),
    ),
  // ~500k empty partition keys and no records.
  fc
    .integer({ min: 1, max: (RECORD_LIMIT - 32) / 2 })
    .map((n) => kplEnvelope(Buffer.alloc(n * 2, Buffer.from([0x0a, 0])))),
  // A record whose data declares 2^32 bytes, after a large valid one.
  fc
    .integer({ min: 0, max: RECORD_LIMIT - 64 })
    .map((n) =>
      kplEnvelope(
        Buffer.concat([
          field(0x0a, utf8('k')),
          field(0x1a, Buffer.concat([varintField(0x08, 0n), field(0x1a, Buffer.alloc(n))])),
          field(0x1a, Buffer.alloc(4), 2n ** 32n),
        ]),
      ),
    ),
  // A partition key table index far out of range on the last of many records.
  fc
    .integer({ min: 1, max: 100_000 })
    .map((n) =>
      kplEnvelope(
        Buffer.concat([
          field(0x0a, utf8('k')),
          Buffer.alloc(n * 6, Buffer.from([0x1a, 4, 8, 0, 0x1a, 0])),
          field(0x1a, Buffer.concat([varintField(0x08, BigInt(n)), field(0x1a, Buffer.alloc(0))])),
        ]),
      ),
    ),
);

/** JSON values that survive a JSON round trip exactly (fc.jsonValue may give -0, which JSON turns into 0). */
export const jsonValue = (maxDepth: number): fc.Arbitrary<unknown> =>
  fc.jsonValue({ maxDepth }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
