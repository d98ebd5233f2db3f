/**
 * DynamoDBEmitter against dynalite: one record's bad item is that record's failure (the rest written), the
 * models of one record get distinct keys (provenanceKey), and throttling or server errors stay outages.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ItemCollectionSizeLimitExceededException,
  ProvisionedThroughputExceededException,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { bufferedItem, emitBatch } from '../../../../test/support/emit-batches.js';
import { injectFaults } from '../../../../test/support/faults.js';
import { dynamoClient, eventually, uniqueName } from '../../../../test/support/harness.js';
import type { BufferedItem } from '../interfaces.js';
import { provenanceKey } from '../provenance.js';
import { DynamoDBEmitter } from './dynamodb-emitter.js';

const SHARD = 'shardId-000000000000';
const item = (model: unknown, n: number, modelIndex = 0): BufferedItem<unknown> =>
  bufferedItem(model, { sequenceNumber: String(1000 + n), modelIndex }, () => Buffer.from(`r${n}`));

/** As the connector app keys its items: one per model of a record. */
const toItem = (i: BufferedItem<unknown>): Record<string, AttributeValue> => ({
  id: { S: provenanceKey(SHARD, i) },
  data: { S: JSON.stringify(i.model) },
});

describe('DynamoDBEmitter: record-level and destination-level errors', () => {
  let client: DynamoDBClient;
  const tables: string[] = [];
  beforeAll(() => (client = dynamoClient()));
  afterAll(async () => {
    for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName })).catch(() => {});
    client.destroy();
  });

  async function newTable(): Promise<string> {
    const TableName = uniqueName('dyn-rec');
    tables.push(TableName);
    await client.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await eventually(
      async () =>
        (await client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus === 'ACTIVE',
    );
    return TableName;
  }
  const ids = async (TableName: string) =>
    ((await client.send(new ScanCommand({ TableName, ConsistentRead: true }))).Items ?? [])
      .map((i) => i.id.S!)
      .sort();

  it('stores every model of an array record under its own key, once, replays included', async () => {
    const table = await newTable();
    const emitter = new DynamoDBEmitter<unknown>({ client, table, toItem });
    const items = [item('a', 1, 0), item('b', 1, 1), item('c', 1, 2), item('d', 2)];
    await expect(emitter.emit(emitBatch(items))).resolves.toEqual([]);
    await expect(emitter.emit(emitBatch(items))).resolves.toEqual([]);
    expect(await ids(table)).toEqual([
      `${SHARD}:1001:0`,
      `${SHARD}:1001:0:1`,
      `${SHARD}:1001:0:2`,
      `${SHARD}:1002:0`,
    ]);
  });

  it('fails an item DynamoDB refuses as malformed (empty set, wrong key type, bad number) and writes the others', async () => {
    const table = await newTable();
    const malformed = (i: BufferedItem<unknown>): Record<string, AttributeValue> => {
      if (i.model === 'empty-set') return { ...toItem(i), tags: { SS: [] } };
      if (i.model === 'number-key') return { id: { N: '1' } };
      if (i.model === 'bad-number') return { ...toItem(i), amount: { N: String(i.model) } };
      return toItem(i);
    };
    const emitter = new DynamoDBEmitter<unknown>({ client, table, toItem: malformed });
    const items = [item('ok', 1), item('empty-set', 2), item('number-key', 3), item('ok', 4)];
    items.push(item('bad-number', 5));
    const failed = await emitter.emit(emitBatch(items));
    expect(failed.map((f) => f.item)).toEqual([items[1], items[2], items[4]]);
    expect(failed.every((f) => /^ValidationException: /.test(f.error))).toBe(true);
    expect(await ids(table)).toEqual([`${SHARD}:1001:0`, `${SHARD}:1004:0`]);
  });

  it('fails only the item whose collection is full (ItemCollectionSizeLimitExceeded, injected)', async () => {
    const table = await newTable();
    const full = () =>
      new ItemCollectionSizeLimitExceededException({ message: 'collection full', $metadata: {} });
    const isFull = (request: { Item?: Record<string, AttributeValue> }) => request.Item?.data.S === '"full"';
    const faults = injectFaults(client, {
      BatchWriteItem: async ({ input, send }) => {
        if (
          Object.values(input.RequestItems)
            .flat()
            .some((r: any) => isFull(r.PutRequest))
        )
          throw full();
        return send();
      },
      PutItem: async ({ input, send }) => {
        if (isFull(input)) throw full();
        return send();
      },
    });
    try {
      const emitter = new DynamoDBEmitter<unknown>({ client, table, toItem });
      const items = [item('a', 1), item('full', 2), item('b', 3)];
      const failed = await emitter.emit(emitBatch(items));
      expect(failed).toEqual([
        { item: items[1], error: 'ItemCollectionSizeLimitExceededException: collection full' },
      ]);
    } finally {
      faults.remove();
    }
    expect(await ids(table)).toEqual([`${SHARD}:1001:0`, `${SHARD}:1003:0`]);
  });

  it('throws (destination) when DynamoDB keeps throttling, with nothing failed per item', async () => {
    const table = await newTable();
    const faults = injectFaults(client, {
      BatchWriteItem: async () => {
        throw new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      },
    });
    try {
      const emitter = new DynamoDBEmitter<unknown>({ client, table, toItem });
      await expect(emitter.emit(emitBatch([item('a', 1)]))).rejects.toBeInstanceOf(
        ProvisionedThroughputExceededException,
      );
    } finally {
      faults.remove();
    }
  });
});
