import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ServerKinesis } from './server-kinesis.js';
import type { ServerKinesisOptions } from './shared/options.js';

describe('ServerKinesis streams option', () => {
  const make = (options: ServerKinesisOptions) => () => new ServerKinesis(options);
  const dynamoClient = {} as DynamoDBClient;

  it.each<[string, ServerKinesisOptions, RegExp]>([
    ['not an array', { streams: 'clicks' as never }, /streams must be an array/],
    ['an entry with no name', { streams: [{} as never] }, /stream name/],
    ['a name Kinesis would refuse', { streams: [{ name: 'a b' }] }, /stream name/],
    [
      'the same stream twice',
      { streams: [{ name: 'clicks' }, { name: 'clicks' }] },
      /"clicks" is listed twice/,
    ],
    ['the act stream', { actStream: 'orders', streams: [{ name: 'orders' }] }, /act or the dead-letter/],
    [
      'the dead-letter stream (a failure there would loop)',
      { eventRetries: { deadLetterStream: 'dlq' }, streams: [{ name: 'dlq' }] },
      /act or the dead-letter/,
    ],
    [
      'a pattern beside a deserializer',
      { streams: [{ name: 'clicks', pattern: 'c', deserializer: () => undefined }] },
      /has a deserializer/,
    ],
    [
      'a deserializer that is no function',
      { streams: [{ name: 'clicks', deserializer: 'json' as never }] },
      /function/,
    ],
    ['an empty pattern', { streams: [{ name: 'clicks', pattern: '' }] }, /pattern/],
    [
      'one fixed lease table for several streams (lease items are keyed by shard id)',
      { leases: { dynamoClient, tableName: 'leases' }, streams: [{ name: 'clicks' }] },
      /leases.tableName/,
    ],
    [
      'a lease table name DynamoDB refuses (an appName too long beside the stream name)',
      { leases: { dynamoClient, appName: 'a'.repeat(200) }, streams: [{ name: 'c'.repeat(100) }] },
      /lease table of "c+", <appName>-c+, is no DynamoDB table name/,
    ],
    [
      'a lease table name DynamoDB refuses (a character of the appName)',
      { appName: 'my shop', leases: { dynamoClient }, streams: [{ name: 'clicks' }] },
      /lease table of "clicks"/,
    ],
  ])('refuses %s', (_, options, message) => {
    expect(make(options)).toThrow(message);
  });

  it('takes several streams beside the act stream, with per-stream reading settings', () => {
    expect(
      make({
        leases: { dynamoClient, appName: 'shop' },
        streams: [
          { name: 'clicks', startPosition: { type: 'LATEST' }, concurrency: 4 },
          { name: 'iot', pattern: 'device' },
        ],
      }),
    ).not.toThrow();
  });
});
