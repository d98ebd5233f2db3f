/**
 * `lag` where the checkpoint is not simply a record's sequence number: inside a KPL aggregate (the consumer
 * resumes AT that record and skips the sub-records already checkpointed, so the rest of the aggregate is unread).
 * Checkpoints are written through the core's RedisCheckpointStore, as a consumer writes them.
 */
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { aggregate, ensureStream } from '../../libs/kinesis/src/index.js';
import { RedisCheckpointStore } from '../../libs/kinesis/src/checkpoint/redis-store.js';
import { kinesisClient, redisUrl, uniqueName } from '../support/harness.js';
import { cli } from './cli-harness.js';

describe('cli: lag with a checkpoint inside an aggregate', () => {
  const kinesis = kinesisClient('kinesalite');
  const stream = uniqueName('cli-lag-kpl');
  const app = uniqueName('lag-kpl-app');
  const store = new RedisCheckpointStore({ url: redisUrl(), appName: app });
  const shardId = 'shardId-000000000000';
  let aggregateSequence = '';

  const put = async (data: Buffer) =>
    (await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: data })))
      .SequenceNumber!;

  beforeAll(async () => {
    await ensureStream(kinesis, stream, { shardCount: 1 });
    const users = ['u0', 'u1', 'u2'].map((u) => ({ data: Buffer.from(u), partitionKey: 'k' }));
    aggregateSequence = await put(aggregate(users));
    await put(Buffer.from('plain record after it'));
  });
  afterAll(async () => {
    await store.close();
    kinesis.destroy();
  });

  const lag = async () => {
    const result = await cli([
      '--json',
      'lag',
      app,
      '--stream',
      stream,
      '--checkpoints',
      `redis:${redisUrl()}`,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout).shards[0];
  };

  it('counts the aggregate read part way as unread, and the record after it', async () => {
    await store.set(stream, shardId, { sequenceNumber: aggregateSequence, subSequenceNumber: 1 });
    expect(await lag()).toMatchObject({ checkpoint: `${aggregateSequence}/1`, state: 'behind', unread: 2 });
  });

  it('counts from the trim horizon, as the consumer reads, when Kinesis refuses the checkpoint', async () => {
    // A sequence number of another shard (the second of another stream): refused as one past retention is
    // (InvalidArgumentException). One of another stream's first shard is accepted when both streams were created
    // within the same second (kinesalite compares the shard's creation time).
    const other = uniqueName('cli-lag-other');
    await ensureStream(kinesis, other, { shardCount: 2 });
    const lastHashKey = (2n ** 128n - 1n).toString();
    const foreign = (
      await kinesis.send(
        new PutRecordCommand({
          StreamName: other,
          PartitionKey: 'k',
          ExplicitHashKey: lastHashKey,
          Data: Buffer.from('x'),
        }),
      )
    ).SequenceNumber!;
    await store.set(stream, shardId, { sequenceNumber: foreign, subSequenceNumber: 0 });
    expect(await lag()).toMatchObject({ checkpointAgedOut: true, state: 'behind', unread: 2 });
  });

  it('does not count the aggregate once its last user record is checkpointed', async () => {
    await store.set(stream, shardId, { sequenceNumber: aggregateSequence, subSequenceNumber: 2 });
    expect(await lag()).toMatchObject({ state: 'behind', unread: 1 });
  });
});
