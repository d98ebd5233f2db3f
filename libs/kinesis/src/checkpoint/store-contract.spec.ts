/** The behaviour every checkpoint store shares, run against each one with real servers. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoClient, redisUrl, uniqueName } from '../../../../test/support/harness.js';
import { InvalidCheckpointError } from '../errors.js';
import { SHARD_END, type CheckpointStore } from '../types.js';
import { DynamoDBCheckpointStore } from './dynamodb-store.js';
import { MemoryCheckpointStore } from './memory-store.js';
import { RedisCheckpointStore } from './redis-store.js';

let dynamo: DynamoDBClient | undefined;
const opened: CheckpointStore[] = [];

/** Each call gives a store with nothing in it (unique app / key space / table). */
const factories: Array<[string, () => CheckpointStore]> = [
  ['memory', () => new MemoryCheckpointStore()],
  ['redis', () => new RedisCheckpointStore({ url: redisUrl(), appName: uniqueName('ckpt') })],
  [
    'dynamodb',
    () => new DynamoDBCheckpointStore({ client: (dynamo ??= dynamoClient()), appName: uniqueName('ckpt') }),
  ],
];

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close?.()));
  dynamo?.destroy();
});

describe.each(factories)('%s checkpoint store contract', (_name, create) => {
  let store: CheckpointStore;
  beforeEach(() => {
    store = create();
    opened.push(store);
  });

  it('resolves undefined for a shard never checkpointed', async () => {
    await expect(store.get('orders', 'shardId-000000000000')).resolves.toBeUndefined();
  });

  it('reads back what was set', async () => {
    const checkpoint = {
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: 0,
    };
    await store.set('orders', 'shardId-000000000000', checkpoint);
    await expect(store.get('orders', 'shardId-000000000000')).resolves.toEqual(checkpoint);
  });

  it('keeps sub-sequence numbers, including going back to 0', async () => {
    await store.set('orders', 'shardId-000000000001', { sequenceNumber: '1234', subSequenceNumber: 7 });
    await expect(store.get('orders', 'shardId-000000000001')).resolves.toEqual({
      sequenceNumber: '1234',
      subSequenceNumber: 7,
    });
    await store.set('orders', 'shardId-000000000001', { sequenceNumber: '1240', subSequenceNumber: 0 });
    await expect(store.get('orders', 'shardId-000000000001')).resolves.toEqual({
      sequenceNumber: '1240',
      subSequenceNumber: 0,
    });
  });

  it('stores SHARD_END', async () => {
    await store.set('orders', 'shardId-000000000002', { sequenceNumber: SHARD_END, subSequenceNumber: 0 });
    await expect(store.get('orders', 'shardId-000000000002')).resolves.toEqual({
      sequenceNumber: SHARD_END,
      subSequenceNumber: 0,
    });
  });

  it('overwrites the previous checkpoint', async () => {
    await store.set('orders', 'shardId-000000000003', { sequenceNumber: '100', subSequenceNumber: 2 });
    await store.set('orders', 'shardId-000000000003', { sequenceNumber: '200', subSequenceNumber: 1 });
    await expect(store.get('orders', 'shardId-000000000003')).resolves.toEqual({
      sequenceNumber: '200',
      subSequenceNumber: 1,
    });
  });

  it('keeps shards and streams apart', async () => {
    await store.set('orders', 'shardId-000000000000', { sequenceNumber: '1', subSequenceNumber: 0 });
    await store.set('orders', 'shardId-000000000001', { sequenceNumber: '2', subSequenceNumber: 0 });
    await store.set('payments', 'shardId-000000000000', { sequenceNumber: '3', subSequenceNumber: 4 });
    await expect(store.get('orders', 'shardId-000000000000')).resolves.toEqual({
      sequenceNumber: '1',
      subSequenceNumber: 0,
    });
    await expect(store.get('orders', 'shardId-000000000001')).resolves.toEqual({
      sequenceNumber: '2',
      subSequenceNumber: 0,
    });
    await expect(store.get('payments', 'shardId-000000000000')).resolves.toEqual({
      sequenceNumber: '3',
      subSequenceNumber: 4,
    });
    await expect(store.get('payments', 'shardId-000000000001')).resolves.toBeUndefined();
  });

  it('refuses a malformed checkpoint and keeps the stored one', async () => {
    await store.set('orders', 'shardId-000000000004', { sequenceNumber: '10', subSequenceNumber: 0 });
    for (const bad of [
      { sequenceNumber: '', subSequenceNumber: 0 },
      { sequenceNumber: '1:2', subSequenceNumber: 0 },
      { sequenceNumber: '11', subSequenceNumber: -1 },
      { sequenceNumber: '11', subSequenceNumber: 1.5 },
    ]) {
      await expect(store.set('orders', 'shardId-000000000004', bad)).rejects.toBeInstanceOf(
        InvalidCheckpointError,
      );
    }
    await expect(store.get('orders', 'shardId-000000000004')).resolves.toEqual({
      sequenceNumber: '10',
      subSequenceNumber: 0,
    });
  });
});

describe('MemoryCheckpointStore', () => {
  it('is shared by whoever holds the same instance, and survives close()', async () => {
    const shared = new MemoryCheckpointStore();
    await shared.set('orders', 'shardId-000000000000', { sequenceNumber: '5', subSequenceNumber: 0 });
    await shared.close();
    await expect(shared.get('orders', 'shardId-000000000000')).resolves.toEqual({
      sequenceNumber: '5',
      subSequenceNumber: 0,
    });
    await expect(new MemoryCheckpointStore().get('orders', 'shardId-000000000000')).resolves.toBeUndefined();
  });

  it('does not let callers mutate stored checkpoints', async () => {
    const store = new MemoryCheckpointStore();
    const checkpoint = { sequenceNumber: '5', subSequenceNumber: 0 };
    await store.set('orders', 'shardId-000000000000', checkpoint);
    checkpoint.sequenceNumber = '6';
    const read = await store.get('orders', 'shardId-000000000000');
    read!.sequenceNumber = '7';
    await expect(store.get('orders', 'shardId-000000000000')).resolves.toEqual({
      sequenceNumber: '5',
      subSequenceNumber: 0,
    });
  });
});
