import {
  InvalidExplicitHashKeyError,
  InvalidPartitionKeyError,
  MAX_HASH_KEY,
} from '../../../kinesis/src/index.js';
import {
  InvalidMessageOptionsError,
  KinesisMessage,
  KinesisMessageBuilder,
  METADATA_LIMITS,
  unwrapMessage,
  validateMessageOptions,
} from './record-builder.js';

const { maxMetadataEntries, maxMetadataKeyLength, maxMetadataValueLength } = METADATA_LIMITS;
const entries = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

describe('KinesisMessageBuilder', () => {
  it('builds a KinesisMessage with its data and options (hash key normalized, metadata copied)', () => {
    const metadata = { tenant: 'a' };
    const message = new KinesisMessageBuilder({ id: 1 })
      .setPartitionKey('tenant-a')
      .setExplicitHashKey('007')
      .setMetadata(metadata)
      .setTimeout(500)
      .withReplyMetadata()
      .build();
    metadata.tenant = 'changed'; // the message keeps what was checked
    expect(message).toBeInstanceOf(KinesisMessage);
    expect(message.data).toEqual({ id: 1 });
    expect(message.options).toEqual({
      partitionKey: 'tenant-a',
      explicitHashKey: '7',
      metadata: { tenant: 'a' },
      timeoutMs: 500,
      replyMetadata: true,
    });
    expect(message.metadata).toEqual({ tenant: 'a' });
  });

  it('takes a bigint hash key, setData and merged setOptions, as Nest builders do', () => {
    const message = new KinesisMessageBuilder<number>()
      .setData(2)
      .setOptions({ partitionKey: 'p' })
      .setOptions({ timeoutMs: 10 })
      .setExplicitHashKey(MAX_HASH_KEY)
      .build();
    expect(message.data).toBe(2);
    expect(message.options).toEqual({
      partitionKey: 'p',
      timeoutMs: 10,
      explicitHashKey: MAX_HASH_KEY.toString(),
    });
    expect(new KinesisMessage('x').metadata).toEqual({});
  });

  it('accepts every bound exactly', () => {
    expect(() =>
      new KinesisMessageBuilder(1)
        .setPartitionKey('p'.repeat(256))
        .setExplicitHashKey('0')
        .setMetadata({
          ...entries(maxMetadataEntries - 1),
          ['k'.repeat(maxMetadataKeyLength)]: 'v'.repeat(maxMetadataValueLength),
        })
        .build(),
    ).not.toThrow();
  });

  it.each([
    ['a hash key of 2^128', { explicitHashKey: (MAX_HASH_KEY + 1n).toString() }, InvalidExplicitHashKeyError],
    ['a negative hash key', { explicitHashKey: '-1' }, InvalidExplicitHashKeyError],
    ['a fractional hash key', { explicitHashKey: '1.5' }, InvalidExplicitHashKeyError],
    ['a hash key that is a number', { explicitHashKey: 5 }, InvalidExplicitHashKeyError],
    ['an empty partition key', { partitionKey: '' }, InvalidPartitionKeyError],
    ['a partition key of 257 characters', { partitionKey: 'p'.repeat(257) }, InvalidPartitionKeyError],
    ['too many metadata entries', { metadata: entries(maxMetadataEntries + 1) }, InvalidMessageOptionsError],
    [
      'a long metadata key',
      { metadata: { ['k'.repeat(maxMetadataKeyLength + 1)]: 'v' } },
      InvalidMessageOptionsError,
    ],
    [
      'a long metadata value',
      { metadata: { k: 'v'.repeat(maxMetadataValueLength + 1) } },
      InvalidMessageOptionsError,
    ],
    ['a metadata value that is not a string', { metadata: { k: 1 } }, InvalidMessageOptionsError],
    ['metadata that is an array', { metadata: ['a'] }, InvalidMessageOptionsError],
    ['a zero timeout', { timeoutMs: 0 }, InvalidMessageOptionsError],
    ['an infinite timeout', { timeoutMs: Infinity }, InvalidMessageOptionsError],
    ['a timeout that is not a number', { timeoutMs: '5' }, InvalidMessageOptionsError],
    ['replyMetadata that is not a boolean', { replyMetadata: 'yes' }, InvalidMessageOptionsError],
    ['an unknown option', { partitonKey: 'typo' }, InvalidMessageOptionsError],
  ])('refuses %s when built and when sent', (_, options, type) => {
    expect(() => new KinesisMessageBuilder(1).setOptions(options as never).build()).toThrow(type);
    // A message made without the builder is checked when the client unwraps it.
    expect(() => unwrapMessage(new KinesisMessage(1, options as never))).toThrow(type);
  });

  it('names the metadata rule broken, never the value', () => {
    const secret = 's'.repeat(maxMetadataValueLength + 1);
    expect(() => validateMessageOptions({ metadata: { k: secret } })).toThrow(
      new InvalidMessageOptionsError(`metadata value longer than ${maxMetadataValueLength} characters`),
    );
  });
});

describe('unwrapMessage', () => {
  it('gives plain data no options, and a message its data and options', () => {
    expect(unwrapMessage({ a: 1 })).toEqual({ data: { a: 1 }, options: {} });
    expect(unwrapMessage(new KinesisMessage([1], { partitionKey: 'p' }))).toEqual({
      data: [1],
      options: { partitionKey: 'p' },
    });
  });

  it('refuses a message without data, as Nest refuses a send without data', () => {
    expect(() => unwrapMessage(new KinesisMessage(undefined))).toThrow(InvalidMessageOptionsError);
    expect(() => unwrapMessage(new KinesisMessage(null))).toThrow(InvalidMessageOptionsError);
  });
});
