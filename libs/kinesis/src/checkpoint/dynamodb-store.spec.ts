import {
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { dynamoClient, uniqueName } from '../../../../test/support/harness.js';
import { SHARD_END } from '../types.js';
import { DynamoDBCheckpointStore } from './dynamodb-store.js';

describe('DynamoDBCheckpointStore', () => {
  let client: DynamoDBClient;
  beforeAll(() => {
    client = dynamoClient();
  });
  afterAll(() => client.destroy());

  const rawItem = async (tableName: string, shardId: string) =>
    (
      await client.send(
        new GetItemCommand({ TableName: tableName, Key: { leaseKey: { S: shardId } }, ConsistentRead: true }),
      )
    ).Item;

  it('creates the table when missing: PAY_PER_REQUEST, hash key leaseKey (S), default name <app>-<stream>', async () => {
    const app = uniqueName('app');
    await expect(client.send(new DescribeTableCommand({ TableName: `${app}-orders` }))).rejects.toMatchObject(
      {
        name: 'ResourceNotFoundException',
      },
    );
    const store = new DynamoDBCheckpointStore({ client, appName: app });
    await expect(store.get('orders', 'shardId-000000000000')).resolves.toBeUndefined();

    const { Table } = await client.send(new DescribeTableCommand({ TableName: `${app}-orders` }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'leaseKey', KeyType: 'HASH' }]);
    expect(Table?.AttributeDefinitions).toEqual([{ AttributeName: 'leaseKey', AttributeType: 'S' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('writes one KCL-style item per shard: leaseKey (S), checkpoint (S), checkpointSubSequenceNumber (N)', async () => {
    const tableName = uniqueName('leases');
    const store = new DynamoDBCheckpointStore({ client, tableName });
    await store.set('orders', 'shardId-000000000000', { sequenceNumber: '4960', subSequenceNumber: 5 });
    await store.set('orders', 'shardId-000000000001', { sequenceNumber: SHARD_END, subSequenceNumber: 0 });

    expect(await rawItem(tableName, 'shardId-000000000000')).toEqual({
      leaseKey: { S: 'shardId-000000000000' },
      checkpoint: { S: '4960' },
      checkpointSubSequenceNumber: { N: '5' },
    });
    expect(await rawItem(tableName, 'shardId-000000000001')).toEqual({
      leaseKey: { S: 'shardId-000000000001' },
      checkpoint: { S: SHARD_END },
      checkpointSubSequenceNumber: { N: '0' },
    });
  });

  it('keeps the other attributes of a lease item when it checkpoints', async () => {
    const tableName = uniqueName('leases');
    const store = new DynamoDBCheckpointStore({ client, tableName });
    await store.get('orders', 'shardId-000000000000'); // creates the table
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          leaseKey: { S: 'shardId-000000000000' },
          leaseOwner: { S: 'worker-1' },
          leaseCounter: { N: '42' },
          ownerSwitchesSinceCheckpoint: { N: '1' },
          checkpoint: { S: 'TRIM_HORIZON' },
          checkpointSubSequenceNumber: { N: '0' },
        },
      }),
    );
    await store.set('orders', 'shardId-000000000000', { sequenceNumber: '777', subSequenceNumber: 2 });
    expect(await rawItem(tableName, 'shardId-000000000000')).toEqual({
      leaseKey: { S: 'shardId-000000000000' },
      leaseOwner: { S: 'worker-1' },
      leaseCounter: { N: '42' },
      ownerSwitchesSinceCheckpoint: { N: '1' },
      checkpoint: { S: '777' },
      checkpointSubSequenceNumber: { N: '2' },
    });
  });

  it('reads a lease item without checkpointSubSequenceNumber as sub-sequence 0, and one without checkpoint as unset', async () => {
    const tableName = uniqueName('leases');
    const store = new DynamoDBCheckpointStore({ client, tableName });
    await store.get('orders', 'shardId-000000000000');
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { leaseKey: { S: 'shardId-000000000000' }, checkpoint: { S: '123' } },
      }),
    );
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { leaseKey: { S: 'shardId-000000000001' }, leaseOwner: { S: 'worker-1' } },
      }),
    );
    await expect(store.get('orders', 'shardId-000000000000')).resolves.toEqual({
      sequenceNumber: '123',
      subSequenceNumber: 0,
    });
    await expect(store.get('orders', 'shardId-000000000001')).resolves.toBeUndefined();
  });

  it('is safe when several stores create the same table at once', async () => {
    const app = uniqueName('race');
    const stores = Array.from({ length: 6 }, () => new DynamoDBCheckpointStore({ client, appName: app }));
    await Promise.all(
      stores.map((store, i) =>
        store.set('orders', `shardId-00000000000${i}`, {
          sequenceNumber: String(100 + i),
          subSequenceNumber: i,
        }),
      ),
    );
    const reader = new DynamoDBCheckpointStore({ client, appName: app });
    for (let i = 0; i < stores.length; i++) {
      await expect(reader.get('orders', `shardId-00000000000${i}`)).resolves.toEqual({
        sequenceNumber: String(100 + i),
        subSequenceNumber: i,
      });
    }
  });

  it('names tables with a function, one per stream', async () => {
    const prefix = uniqueName('fn');
    const store = new DynamoDBCheckpointStore({
      client,
      tableName: (stream) => `${prefix}.${stream}.leases`,
    });
    await store.set('orders', 'shardId-000000000000', { sequenceNumber: '1', subSequenceNumber: 0 });
    await store.set('payments', 'shardId-000000000000', { sequenceNumber: '2', subSequenceNumber: 0 });
    expect((await rawItem(`${prefix}.orders.leases`, 'shardId-000000000000'))?.checkpoint).toEqual({
      S: '1',
    });
    expect((await rawItem(`${prefix}.payments.leases`, 'shardId-000000000000'))?.checkpoint).toEqual({
      S: '2',
    });
  });

  it('refuses a second stream in a fixed table (shard ids would collide)', async () => {
    const store = new DynamoDBCheckpointStore({ client, tableName: uniqueName('fixed') });
    await store.set('orders', 'shardId-000000000000', { sequenceNumber: '1', subSequenceNumber: 0 });
    await expect(store.get('payments', 'shardId-000000000000')).rejects.toThrow(
      /already holds stream "orders"/,
    );
  });

  it('with createTable: false, surfaces the missing table instead of creating it', async () => {
    const tableName = uniqueName('absent');
    const store = new DynamoDBCheckpointStore({ client, tableName, createTable: false });
    await expect(store.get('orders', 'shardId-000000000000')).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(
      store.set('orders', 'shardId-000000000000', { sequenceNumber: '1', subSequenceNumber: 0 }),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client.send(new DescribeTableCommand({ TableName: tableName }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('needs a table name or an app', () => {
    expect(() => new DynamoDBCheckpointStore({ client })).toThrow(TypeError);
  });
});
