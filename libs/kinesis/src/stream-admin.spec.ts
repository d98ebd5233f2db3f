import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { startKinesalite } from '../../local-aws/src/index.js';
import { createKinesisClient } from './client.js';
import { StreamNotActiveError } from './errors.js';
import { ensureStream, resolveShardCount } from './stream-admin.js';
import { KINESIS_EMULATORS, kinesisClient, uniqueName } from '../../../test/support/harness.js';

describe('resolveShardCount', () => {
  it('takes the option, then AWS_KINESIS_SHARDS, else 2, and refuses nonsense', () => {
    expect(resolveShardCount(5, { AWS_KINESIS_SHARDS: '3' })).toBe(5);
    expect(resolveShardCount(undefined, { AWS_KINESIS_SHARDS: '3' })).toBe(3);
    expect(resolveShardCount(undefined, {})).toBe(2);
    expect(() => resolveShardCount(undefined, { AWS_KINESIS_SHARDS: 'abc' })).toThrow(RangeError);
    expect(() => resolveShardCount(0)).toThrow(RangeError);
  });
});

describe.each(KINESIS_EMULATORS)('ensureStream on %s', (emulator) => {
  const client = kinesisClient(emulator);
  afterAll(() => client.destroy());
  const openShards = async (name: string) =>
    (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!
      .OpenShardCount;

  it('creates a missing stream with the shard count, then finds it ACTIVE', async () => {
    const name = uniqueName('admin');
    const created = await ensureStream(client, name, { shardCount: 3 });
    expect(created).toMatchObject({ streamName: name, status: 'ACTIVE', created: true });
    expect(await openShards(name)).toBe(3);
    expect(await ensureStream(client, name, { shardCount: 5 })).toMatchObject({ created: false });
    expect(await openShards(name)).toBe(3);
  });

  it('is safe when several callers create the same stream at once', async () => {
    const name = uniqueName('admin-race');
    const clients = Array.from({ length: 5 }, () => kinesisClient(emulator));
    const results = await Promise.all(clients.map((c) => ensureStream(c, name, { shardCount: 1 })));
    clients.forEach((c) => c.destroy());
    expect(results.every((r) => r.status === 'ACTIVE')).toBe(true);
    expect(results.filter((r) => r.created).length).toBeGreaterThanOrEqual(1);
    expect(await openShards(name)).toBe(1);
  });
});

describe('ensureStream bounded wait', () => {
  it('fails with StreamNotActiveError when the stream stays CREATING', async () => {
    const slow = await startKinesalite({ createStreamMs: 1_000 });
    const client = createKinesisClient({
      endpoint: slow.endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    try {
      const error = await ensureStream(client, 'slow', { timeoutMs: 300, pollMs: 50 }).catch((e) => e);
      expect(error).toBeInstanceOf(StreamNotActiveError);
      expect(error).toMatchObject({ streamName: 'slow', lastStatus: 'CREATING' });
      expect(error.message).toMatch(/did not become ACTIVE within \d+ ms \(last status: CREATING\)/);
      // A longer wait sees it through (and leaves no emulator timer behind).
      expect(await ensureStream(client, 'slow', { timeoutMs: 10_000, pollMs: 50 })).toMatchObject({
        status: 'ACTIVE',
      });
    } finally {
      client.destroy();
      await slow.stop();
    }
  });
});
