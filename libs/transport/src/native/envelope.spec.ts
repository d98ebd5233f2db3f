import { MAX_HASH_KEY } from '../../../kinesis/src/index.js';
import {
  decodeReply,
  decodeRequest,
  decodeRequestObject,
  encodeEnvelope,
  ENVELOPE_LIMITS,
  InvalidEnvelopeError,
} from './envelope.js';

const buf = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const replyTo = { stream: 'res', hashKey: '12345' };

describe('envelope v1', () => {
  it('round-trips a request and an event', () => {
    const request = {
      v: 1,
      id: 'a',
      pattern: 'sum',
      data: [1, 2],
      replyTo,
      deadline: 5,
      metadata: { t: 'x' },
    };
    expect(decodeRequest(encodeEnvelope(request))).toEqual(request);
    expect(decodeRequest(buf({ v: 1, id: 'e', pattern: { cmd: 'x' }, data: null }))).toEqual({
      v: 1,
      id: 'e',
      pattern: { cmd: 'x' },
      data: null,
    });
  });

  it.each([
    ['not JSON', 'nope {', /not JSON/],
    ['an array', [1], /not a JSON object/],
    ['an unknown version', { v: 2, id: 'a', pattern: 'p', data: 1 }, /^unsupported envelope version \(/],
    ['no version', { id: 'a', pattern: 'p', data: 1 }, /^unsupported envelope version \(/],
    ['no id', { v: 1, pattern: 'p', data: 1 }, /without an id/],
    ['no pattern', { v: 1, id: 'a', data: 1 }, /without a pattern/],
    ['no data', { v: 1, id: 'a', pattern: 'p' }, /without data/],
    [
      'a bad replyTo',
      { v: 1, id: 'a', pattern: 'p', data: 1, replyTo: { stream: 'r', hashKey: 'x' } },
      /invalid replyTo/,
    ],
    ['a bad deadline', { v: 1, id: 'a', pattern: 'p', data: 1, deadline: 'soon' }, /not a finite number/],
    ['bad metadata', { v: 1, id: 'a', pattern: 'p', data: 1, metadata: [1] }, /invalid metadata/],
  ])('refuses %s with InvalidEnvelopeError', (_, input, message) => {
    expect(() => decodeRequest(buf(input))).toThrow(InvalidEnvelopeError);
    expect(() => decodeRequest(buf(input))).toThrow(message);
  });

  it('does not quote a non-JSON payload in the reason (it is logged)', () => {
    expect(() => decodeRequest(buf('card-4111-1111 {'))).toThrow(/^not JSON$/);
  });

  it('keeps the id and replyTo of a refused request, so the caller can get an error reply', () => {
    const error = (() => {
      try {
        decodeRequest(buf({ v: 9, id: 'a', pattern: 'p', data: 1, replyTo }));
      } catch (e) {
        return e as InvalidEnvelopeError;
      }
    })();
    expect(error).toMatchObject({ id: 'a', replyTo });
  });

  it('reads replies and refuses invalid ones', () => {
    expect(decodeReply(buf({ v: 1, id: 'a', response: 3, isDisposed: true }))).toEqual({
      v: 1,
      id: 'a',
      response: 3,
      isDisposed: true,
    });
    expect(() => decodeReply(buf({ v: 1, response: 3 }))).toThrow(/reply without an id/);
    expect(() => decodeReply(buf({ v: 3, id: 'a' }))).toThrow(
      /^unsupported reply version \(this client reads v1\)$/,
    );
    expect(() => decodeReply(buf('junk'))).toThrow(InvalidEnvelopeError);
  });
});

describe('envelope bounds (ENVELOPE_LIMITS): the act stream is untrusted', () => {
  const request = (extra: Record<string, unknown>) => buf({ v: 1, id: 'a', pattern: 'p', data: 1, ...extra });
  const refusal = (input: Buffer) => {
    try {
      decodeRequest(input);
    } catch (e) {
      return e as InvalidEnvelopeError;
    }
    throw new Error('accepted');
  };
  const { maxMetadataEntries, maxMetadataKeyLength, maxMetadataValueLength } = ENVELOPE_LIMITS;

  it.each([
    ['an id over 128 characters', { id: 'i'.repeat(129) }],
    ['an id with unsafe characters', { id: 'a b\n' }],
    ['a numeric id', { id: 7 }],
  ])('refuses %s and keeps no id, so nothing is answered', (_, extra) => {
    const error = refusal(request({ ...extra, replyTo }));
    expect(error.message).toMatch(/invalid id/);
    expect(error.id).toBeUndefined();
  });

  it.each([
    ['a hash key of 2^128', { stream: 'res', hashKey: (MAX_HASH_KEY + 1n).toString() }],
    ['a hash key of 40 digits', { stream: 'res', hashKey: '1'.repeat(40) }],
    ['a negative hash key', { stream: 'res', hashKey: '-1' }],
    ['a stream name with a space', { stream: 'r s', hashKey: '1' }],
    ['a stream name over 128 characters', { stream: 's'.repeat(129), hashKey: '1' }],
  ])('refuses a replyTo with %s, keeping no replyTo', (_, bad) => {
    const error = refusal(request({ replyTo: bad }));
    expect(error.message).toBe('envelope with an invalid replyTo');
    expect(error.replyTo).toBeUndefined();
  });

  it('enforces exactly the exported id and stream name limits, which cannot be changed at run time', () => {
    const { maxIdLength, maxStreamNameLength } = ENVELOPE_LIMITS;
    const longest = {
      id: 'i'.repeat(maxIdLength),
      replyTo: { stream: 's'.repeat(maxStreamNameLength), hashKey: '1' },
    };
    expect(decodeRequest(request(longest))).toMatchObject(longest);
    expect(refusal(request({ id: 'i'.repeat(maxIdLength + 1) })).message).toBe(
      `envelope with an invalid id (1-${maxIdLength} characters of A-Za-z0-9._:/+=@-)`,
    );
    const stream = 's'.repeat(maxStreamNameLength + 1);
    expect(refusal(request({ replyTo: { stream, hashKey: '1' } })).message).toBe(
      'envelope with an invalid replyTo',
    );
    expect(Object.isFrozen(ENVELOPE_LIMITS)).toBe(true);
  });

  it('accepts the top of the hash key range and normalizes leading zeros', () => {
    const top = MAX_HASH_KEY.toString();
    expect(decodeRequest(request({ replyTo: { stream: 'res', hashKey: top } })).replyTo?.hashKey).toBe(top);
    expect(decodeRequest(request({ replyTo: { stream: 'res', hashKey: '0007' } })).replyTo?.hashKey).toBe(
      '7',
    );
  });

  it.each([
    ['a non-string value', { k: 1 }],
    [
      'too many entries',
      Object.fromEntries(Array.from({ length: maxMetadataEntries + 1 }, (_, i) => [`k${i}`, 'v'])),
    ],
    ['a key too long', { ['k'.repeat(maxMetadataKeyLength + 1)]: 'v' }],
    ['a value too long', { k: 'v'.repeat(maxMetadataValueLength + 1) }],
  ])('refuses metadata with %s', (_, metadata) => {
    expect(refusal(request({ metadata })).message).toBe('envelope with invalid metadata');
  });

  it('accepts metadata at the bounds, as own data properties only', () => {
    const full = Object.fromEntries(
      Array.from({ length: maxMetadataEntries }, (_, i) => [
        `${i}`.padEnd(maxMetadataKeyLength, 'k'),
        'v'.repeat(maxMetadataValueLength),
      ]),
    );
    expect(decodeRequest(request({ metadata: full })).metadata).toEqual(full);
    const proto = decodeRequest(buf('{"v":1,"id":"a","pattern":"p","data":1,"metadata":{"__proto__":"x"}}'));
    expect(Object.getPrototypeOf(proto.metadata)).toBe(Object.prototype);
    expect(Object.keys(proto.metadata!)).toEqual(['__proto__']);
  });

  it.each([Infinity, -Infinity, NaN])('refuses a deadline of %s', (deadline) => {
    // JSON has no Infinity / NaN: a non-JSON writer's value arrives as a number only through a custom decoder.
    expect(() => decodeRequestObject({ v: 1, id: 'a', pattern: 'p', data: 1, deadline })).toThrow(/finite/);
  });

  it('never quotes the record in a reason', () => {
    const marker = 'SECRET-4111';
    const inputs = [
      { v: marker, id: 'a', pattern: 'p', data: 1 },
      { v: 1, id: marker + ' x', pattern: 'p', data: 1 },
      { v: 1, id: 'a', pattern: 'p', data: 1, replyTo: { stream: marker, hashKey: marker } },
      { v: 1, id: 'a', pattern: 'p', data: 1, deadline: marker },
      { v: 1, id: 'a', pattern: 'p', data: 1, metadata: { [marker]: 1 } },
    ];
    for (const input of inputs) expect(refusal(buf(input)).message).not.toContain(marker);
  });
});

describe('reply metadata', () => {
  it('is read within the metadata bounds, and a reply outside them is invalid', () => {
    const reply = { v: 1, id: 'r', response: 1, metadata: { served: 'by-me' } };
    expect(decodeReply(encodeEnvelope(reply))).toEqual(reply);
    const tooMany = Object.fromEntries(
      Array.from({ length: ENVELOPE_LIMITS.maxMetadataEntries + 1 }, (_, i) => [`k${i}`, 'v']),
    );
    expect(() => decodeReply(buf({ v: 1, id: 'r', response: 1, metadata: tooMany }))).toThrow(
      new InvalidEnvelopeError('reply with invalid metadata'),
    );
    expect(() => decodeReply(buf({ v: 1, id: 'r', response: 1, metadata: { k: 1 } }))).toThrow(
      InvalidEnvelopeError,
    );
  });
});
