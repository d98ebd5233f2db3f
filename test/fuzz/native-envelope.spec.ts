/**
 * Fuzz: the native envelope (libs/transport/src/envelope.ts). Contract: decodeRequest / decodeReply return an
 * envelope or throw InvalidEnvelopeError, for any bytes up to the record limit; no prototype changes; what decodes
 * holds only values the trust boundary allows (safe id, hash key in range, string metadata); valid envelopes
 * round-trip.
 */
import fc from 'fast-check';
import { MAX_HASH_KEY } from '../../libs/kinesis/src/aggregation/index.js';
import { isSafeId } from '../../libs/kinesis/src/untrusted/untrusted.js';
import {
  decodeReply,
  decodeRequest,
  encodeEnvelope,
  InvalidEnvelopeError,
  type ReplyEnvelope,
  type RequestEnvelope,
} from '../../libs/transport/src/native/envelope.js';
import {
  anyBytes,
  envelopeWithHostileField,
  hashKey,
  jsonText,
  jsonValue,
  mutated,
  pathologicalText,
  POLLUTERS,
  safeId,
  streamName,
  text,
  utf8,
  withRawField,
} from './arbitraries.js';
import { assertPrototypesClean, assertProperty, CostLog, decodeWithin, runs } from './invariants.js';

const costs = new CostLog();
afterAll(() => process.env.FUZZ_REPORT && console.log(`native envelope\n${costs.summary()}`));

const REQUEST_FIELDS = ['v', 'id', 'pattern', 'data', 'replyTo', 'deadline', 'metadata'] as const;
const REPLY_FIELDS = ['v', 'id', 'response', 'err', 'isDisposed'] as const;

const request: fc.Arbitrary<RequestEnvelope> = fc.record(
  {
    v: fc.constant(1),
    id: safeId,
    pattern: fc.oneof(text(40), fc.dictionary(text(8), fc.oneof(text(8), fc.integer()), { maxKeys: 3 })),
    data: jsonValue(3),
    replyTo: fc.record({ stream: streamName, hashKey }),
    deadline: fc.integer({ min: 0, max: 2 ** 52 }),
    metadata: fc.dictionary(text(16, 1), text(64), { maxKeys: 4 }),
  },
  { requiredKeys: ['v', 'id', 'pattern', 'data'] },
);

const reply: fc.Arbitrary<ReplyEnvelope> = fc.record(
  {
    v: fc.constant(1),
    id: safeId,
    response: jsonValue(3),
    err: jsonValue(2),
    isDisposed: fc.boolean(),
  },
  { requiredKeys: ['v', 'id'] },
);

/** The request a decode produced satisfies the trust boundary (issue 10, item 1). */
function assertWithinLimits(envelope: RequestEnvelope): void {
  expect(isSafeId(envelope.id)).toBe(true);
  if (envelope.replyTo) expect(BigInt(envelope.replyTo.hashKey) <= MAX_HASH_KEY).toBe(true);
  for (const value of Object.values(envelope.metadata ?? {})) expect(typeof value).toBe('string');
}

function checkRequest(input: Buffer, label: string): RequestEnvelope | undefined {
  const { value } = decodeWithin(
    () => costs.time(`request: ${label}`, input.length, () => decodeRequest(input)),
    [InvalidEnvelopeError],
  );
  assertPrototypesClean();
  if (value) expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  return value;
}

function checkReply(input: Buffer, label: string): void {
  decodeWithin(
    () => costs.time(`reply: ${label}`, input.length, () => decodeReply(input)),
    [InvalidEnvelopeError],
  );
  assertPrototypesClean();
}

const requestObjects = request as unknown as fc.Arbitrary<Record<string, unknown>>;
const replyObjects = reply as unknown as fc.Arbitrary<Record<string, unknown>>;

describe('fuzz: native envelope', () => {
  it('round-trips valid requests and replies', () => {
    assertProperty(
      fc.property(request, reply, (req, rep) => {
        expect(decodeRequest(encodeEnvelope(req))).toEqual(req);
        expect(decodeReply(encodeEnvelope(rep))).toEqual(rep);
      }),
      { numRuns: runs(300) },
    );
  });

  it('arbitrary bytes and JSON: an envelope or InvalidEnvelopeError, prototypes untouched', () => {
    assertProperty(
      fc.property(fc.oneof(anyBytes, jsonText.map(utf8)), (input) => {
        checkRequest(input, 'any');
        checkReply(input, 'any');
      }),
      { numRuns: runs(400) },
    );
  });

  it('valid envelopes with one hostile field (__proto__, constructor, wrong types) at any depth', () => {
    assertProperty(
      fc.property(
        envelopeWithHostileField(requestObjects, REQUEST_FIELDS),
        envelopeWithHostileField(replyObjects, REPLY_FIELDS),
        (req, rep) => {
          checkRequest(utf8(req), 'hostile field');
          checkReply(utf8(rep), 'hostile field');
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('mutated valid envelopes', () => {
    assertProperty(
      fc.property(mutated(request.map(encodeEnvelope)), mutated(reply.map(encodeEnvelope)), (req, rep) => {
        checkRequest(req, 'mutated');
        checkReply(rep, 'mutated');
      }),
      { numRuns: runs(300) },
    );
  });

  it('pathological values up to 1 MiB (10k-100k deep nesting, huge strings, many keys, long numbers) in any field', () => {
    assertProperty(
      fc.property(
        requestObjects,
        fc.constantFrom(...REQUEST_FIELDS, ...REPLY_FIELDS),
        pathologicalText,
        (template, field, raw) => {
          const input = utf8(withRawField(template, field, raw));
          checkRequest(input, 'pathological');
          checkReply(input, 'pathological');
        },
      ),
      { numRuns: runs(40) },
    );
  });

  // Counterexamples kept as plain tests: each failed a property above (see the report of issue 10).
  it('regression: a version nested 10,000 deep is InvalidEnvelopeError, not RangeError (JSON.stringify of `v`)', () => {
    const input = utf8(
      withRawField({ id: 'a', pattern: 'p', data: 1 }, 'v', '['.repeat(10_000) + ']'.repeat(10_000)),
    );
    checkRequest(input, 'regression');
    checkReply(input, 'regression');
  });

  it('what decodes holds only trusted values: safe id, hash key <= 2^128-1, string metadata', () => {
    const hostileRequests = fc.oneof(
      envelopeWithHostileField(requestObjects, REQUEST_FIELDS),
      fc
        .tuple(requestObjects, fc.constantFrom('id', 'metadata', 'replyTo'), pathologicalText)
        .map(([t, f, v]) => withRawField(t, f, v)),
    );
    assertProperty(
      fc.property(hostileRequests, (req) => {
        const value = checkRequest(utf8(req), 'trust');
        if (value) assertWithinLimits(value);
      }),
      { numRuns: runs(200) },
    );
  });

  it('regression: a 1 MB id, a hash key above 2^128-1, object metadata are refused', () => {
    for (const raw of [
      { v: 1, id: 'x'.repeat(1_000_000), pattern: 'p', data: 1 },
      { v: 1, id: 'a', pattern: 'p', data: 1, replyTo: { stream: 's', hashKey: '9'.repeat(39) } },
      { v: 1, id: 'a', pattern: 'p', data: 1, metadata: { trace: { nested: true } } },
    ]) {
      const value = checkRequest(utf8(JSON.stringify(raw)), 'regression');
      if (value) assertWithinLimits(value);
    }
  });

  it('regression: polluting texts at the top level and inside data and metadata', () => {
    for (const polluter of POLLUTERS) {
      for (const field of ['data', 'metadata', 'pattern', 'replyTo', '__proto__']) {
        checkRequest(
          utf8(withRawField({ v: 1, id: 'a', pattern: 'p', data: 1 }, field, polluter)),
          'polluter',
        );
      }
      checkRequest(utf8(polluter), 'polluter');
    }
  });
});
