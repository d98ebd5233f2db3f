import { decodeReply, decodeRequest, encodeEnvelope, InvalidEnvelopeError } from './envelope.js';

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
    ['an unknown version', { v: 2, id: 'a', pattern: 'p', data: 1 }, /unsupported envelope version 2/],
    ['no version', { id: 'a', pattern: 'p', data: 1 }, /unsupported envelope version undefined/],
    ['no id', { v: 1, pattern: 'p', data: 1 }, /without an id/],
    ['no pattern', { v: 1, id: 'a', data: 1 }, /without a pattern/],
    ['no data', { v: 1, id: 'a', pattern: 'p' }, /without data/],
    [
      'a bad replyTo',
      { v: 1, id: 'a', pattern: 'p', data: 1, replyTo: { stream: 'r', hashKey: 'x' } },
      /invalid replyTo/,
    ],
    ['a bad deadline', { v: 1, id: 'a', pattern: 'p', data: 1, deadline: 'soon' }, /non-numeric deadline/],
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
    expect(() => decodeReply(buf({ v: 3, id: 'a' }))).toThrow(/unsupported reply version 3/);
    expect(() => decodeReply(buf('junk'))).toThrow(InvalidEnvelopeError);
  });
});
