import { KinesisMessage, METADATA_LIMITS } from '../shared/record-builder.js';
import { replyOf } from './native-replies.js';

const { maxMetadataEntries } = METADATA_LIMITS;
const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('replyOf (a handler returning a KinesisMessage)', () => {
  it('leaves a plain reply as it is', () => {
    const out = { response: 1, isDisposed: true };
    expect(replyOf(out)).toEqual({ packet: out });
  });

  it('splits a message into the response and its reply metadata', () => {
    const response = new KinesisMessage(4, { metadata: { served: 'by-me' } });
    expect(replyOf({ response, isDisposed: false })).toEqual({
      packet: { response: 4, isDisposed: false },
      metadata: { served: 'by-me' },
    });
    expect(replyOf({ response: new KinesisMessage(4), isDisposed: true })).toEqual({
      packet: { response: 4, isDisposed: true },
    });
  });

  it('answers reply metadata a caller would refuse with an error instead of a reply the caller drops', () => {
    const response = new KinesisMessage(4, { metadata: entries(maxMetadataEntries + 1) });
    expect(replyOf({ response, isDisposed: true })).toEqual({
      packet: {
        err: {
          status: 'error',
          message: `invalid reply metadata: metadata has more than ${maxMetadataEntries} entries`,
        },
        isDisposed: true,
      },
    });
  });
});
