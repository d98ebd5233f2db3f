import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { startKinesalite } from '../../local-aws/src/index.js';
import { createKinesisClient } from './client.js';
import { StreamNotActiveError } from './errors.js';
import { ensureStream, resolveShardCount, StreamEncryptionError } from './stream-admin.js';
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

/** The names of the commands `client` sends from now on. */
function recordCommands(client: KinesisClient): string[] {
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName!);
      return next(args);
    },
    { step: 'initialize' },
  );
  return sent;
}

// kinesis-mock implements StartStreamEncryption (KeyId: a GUID or an alias, no real KMS behind it).
describe('ensureStream with KMS encryption on kinesis-local', () => {
  const client = kinesisClient('kinesis-local');
  const sent = recordCommands(client);
  afterAll(() => client.destroy());
  const summary = async (name: string) =>
    (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;

  it('creates the stream, encrypts it with the key and returns once it is ACTIVE again', async () => {
    const name = uniqueName('admin-kms');
    const result = await ensureStream(client, name, {
      shardCount: 1,
      encryption: { keyId: 'alias/aws/kinesis' },
    });
    expect(result).toMatchObject({
      status: 'ACTIVE',
      created: true,
      encryptionType: 'KMS',
      keyId: 'alias/aws/kinesis',
    });
    expect(await summary(name)).toMatchObject({
      StreamStatus: 'ACTIVE',
      EncryptionType: 'KMS',
      KeyId: 'alias/aws/kinesis',
    });
  });

  it('encrypts an existing clear stream, does nothing when the key is already there, and switches keys', async () => {
    const name = uniqueName('admin-kms-existing');
    await ensureStream(client, name, { shardCount: 1 });
    expect((await summary(name)).EncryptionType).toBe('NONE');
    await ensureStream(client, name, { encryption: { keyId: 'alias/aws/kinesis' } });
    expect(await summary(name)).toMatchObject({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });

    sent.length = 0;
    expect(await ensureStream(client, name, { encryption: { keyId: 'alias/aws/kinesis' } })).toMatchObject({
      created: false,
      encryptionType: 'KMS',
    });
    expect(sent).not.toContain('StartStreamEncryptionCommand');

    const otherKey = '3b9bfc3e-2f4b-4c2a-9d1e-0c7f4a1b2c3d';
    await ensureStream(client, name, { encryption: { keyId: otherKey } });
    expect(sent.filter((c) => c === 'StartStreamEncryptionCommand')).toHaveLength(1);
    expect(await summary(name)).toMatchObject({
      StreamStatus: 'ACTIVE',
      EncryptionType: 'KMS',
      KeyId: otherKey,
    });
  });

  it('lets several processes encrypt the same stream at once', async () => {
    const name = uniqueName('admin-kms-race');
    await ensureStream(client, name, { shardCount: 1 });
    const clients = Array.from({ length: 3 }, () => kinesisClient('kinesis-local'));
    const results = await Promise.all(
      clients.map((c) => ensureStream(c, name, { encryption: { keyId: 'alias/aws/kinesis' } })),
    );
    clients.forEach((c) => c.destroy());
    expect(results.map((r) => r.encryptionType)).toEqual(['KMS', 'KMS', 'KMS']);
  });

  it('reports a key the service refuses as StreamEncryptionError naming stream and key', async () => {
    const name = uniqueName('admin-kms-badkey');
    const error = await ensureStream(client, name, {
      shardCount: 1,
      encryption: { keyId: 'not a key' },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamEncryptionError);
    expect(error.message).toMatch(
      `could not encrypt stream "${name}" with KMS key "not a key": InvalidArgumentException`,
    );
  });
});

describe('ensureStream with KMS encryption on kinesalite', () => {
  it('fails with a clear StreamEncryptionError (kinesalite has no StartStreamEncryption)', async () => {
    const client = kinesisClient('kinesalite');
    const name = uniqueName('admin-kms');
    try {
      const error = await ensureStream(client, name, {
        shardCount: 1,
        encryption: { keyId: 'alias/aws/kinesis' },
      }).catch((e) => e);
      expect(error).toBeInstanceOf(StreamEncryptionError);
      expect(error).toMatchObject({ streamName: name, keyId: 'alias/aws/kinesis' });
      expect(error.message).toMatch(
        /^could not encrypt stream ".*" with KMS key "alias\/aws\/kinesis": UnknownOperationException/,
      );
    } finally {
      client.destroy();
    }
  });
});
