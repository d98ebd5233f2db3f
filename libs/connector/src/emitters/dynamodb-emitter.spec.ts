import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { bufferedItem, emitBatch } from '../../../../test/support/emit-batches.js';
import { injectFaults } from '../../../../test/support/faults.js';
import { dynamoClient, eventually, uniqueName } from '../../../../test/support/harness.js';
import type { BatchContext, BufferedItem, EmitBatch } from '../interfaces.js';
import { canonical, DynamoDBEmitter } from './dynamodb-emitter.js';

type Model = { id: string; body?: string };

const item = (model: Model, n: number): BufferedItem<Model> =>
  bufferedItem(model, { sequenceNumber: String(1000 + n), partitionKey: model.id });
const batch = (items: BufferedItem<Model>[]): EmitBatch<Model> => emitBatch(items);

const models = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => item({ id: `${prefix}-${i}`, body: `b${i}` }, i));

/** Key from the model here; `seq` shows a record-derived attribute travels too. */
const toItem = ({ model, record }: BufferedItem<Model>): Record<string, AttributeValue> => ({
  pk: { S: model.id },
  seq: { N: record.sequenceNumber },
  ...(model.body === undefined ? {} : { body: { S: model.body } }),
});

describe('DynamoDBEmitter', () => {
  let client: DynamoDBClient;
  const tables: string[] = [];

  beforeAll(() => {
    client = dynamoClient();
  });
  afterAll(async () => {
    for (const TableName of tables) await client.send(new DeleteTableCommand({ TableName })).catch(() => {});
    client.destroy();
  });

  async function newTable(): Promise<string> {
    const TableName = uniqueName('emit');
    tables.push(TableName);
    await client.send(
      new CreateTableCommand({
        TableName,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // dynalite answers CreateTable with CREATING and activates the table a tick later: writes before then fail.
    await eventually(
      async () =>
        (await client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus === 'ACTIVE',
    );
    return TableName;
  }

  async function stored(TableName: string): Promise<Map<string, Record<string, AttributeValue>>> {
    const items = new Map<string, Record<string, AttributeValue>>();
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await client.send(new ScanCommand({ TableName, ExclusiveStartKey, ConsistentRead: true }));
      for (const i of out.Items ?? []) items.set(i.pk.S!, i);
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  const emitter = (table: string, options: { maxAttempts?: number } = {}) =>
    new DynamoDBEmitter<Model>({ client, table, toItem, backoff: { baseMs: 5, maxMs: 20 }, ...options });

  it('puts 60 items with 3 BatchWriteItem calls (25 + 25 + 10)', async () => {
    const table = await newTable();
    const sizes: number[] = [];
    const faults = injectFaults(client, {
      BatchWriteItem: async ({ input, send }) => {
        sizes.push(input.RequestItems[table].length);
        return send();
      },
    });
    try {
      await expect(emitter(table).emit(batch(models('a', 60)))).resolves.toEqual([]);
    } finally {
      faults.remove();
    }
    expect(sizes).toEqual([25, 25, 10]);
    const items = await stored(table);
    expect(items.size).toBe(60);
    expect(items.get('a-42')).toEqual({ pk: { S: 'a-42' }, seq: { N: '1042' }, body: { S: 'b42' } });
  });

  it('sends UnprocessedItems again until they are stored', async () => {
    const table = await newTable();
    const sent: string[][] = [];
    const seen = new Set<string>();
    const faults = injectFaults(client, {
      // A chunk's first call leaves every third item unprocessed (not sent, reported back); retries go through.
      BatchWriteItem: async ({ input, send }) => {
        const requests: WriteRequest[] = input.RequestItems[table];
        const keys = requests.map((r) => r.PutRequest!.Item!.pk.S!);
        sent.push(keys);
        const dropped = requests.filter((_, i) => i % 3 === 0 && !seen.has(keys[i]));
        keys.forEach((k) => seen.add(k));
        await send({ RequestItems: { [table]: requests.filter((r) => !dropped.includes(r)) } });
        return { UnprocessedItems: dropped.length ? { [table]: structuredClone(dropped) } : {} };
      },
    });
    try {
      await expect(emitter(table).emit(batch(models('u', 30)))).resolves.toEqual([]);
    } finally {
      faults.remove();
    }
    // Chunk 1 (25): 9 unprocessed, sent again; chunk 2 (5): 2 unprocessed, sent again.
    expect(sent.map((s) => s.length)).toEqual([25, 9, 5, 2]);
    expect(sent[1]).toEqual(sent[0].filter((_, i) => i % 3 === 0));
    expect((await stored(table)).size).toBe(30);
  });

  it('throws (destination) while DynamoDB leaves items unprocessed through every attempt; stores them once it stops', async () => {
    const table = await newTable();
    let calls = 0;
    let hotPartition = true;
    const faults = injectFaults(client, {
      // Throttling answered as 200 + UnprocessedItems: the "stuck" items are never written while it lasts.
      BatchWriteItem: async ({ input, send }) => {
        calls++;
        const requests: WriteRequest[] = input.RequestItems[table];
        const stuck = hotPartition
          ? requests.filter((r) => r.PutRequest!.Item!.pk.S!.startsWith('stuck'))
          : [];
        const rest = requests.filter((r) => !stuck.includes(r));
        if (rest.length > 0) await send({ RequestItems: { [table]: rest } });
        return { UnprocessedItems: stuck.length ? { [table]: stuck } : {} };
      },
    });
    const items = [...models('ok', 10), item({ id: 'stuck-1' }, 10), item({ id: 'stuck-2' }, 11)];
    try {
      // Rejected, not returned as failed items: the pipeline would dead-letter those and checkpoint past them.
      await expect(emitter(table, { maxAttempts: 3 }).emit(batch(items))).rejects.toMatchObject({
        name: 'DynamoDBUnprocessedError',
        unprocessed: 2,
      });
      expect(calls).toBe(3);
      expect((await stored(table)).has('stuck-1')).toBe(false);
      hotPartition = false; // the partition cools down: the batch retried whole goes through
      await expect(emitter(table, { maxAttempts: 3 }).emit(batch(items))).resolves.toEqual([]);
    } finally {
      faults.remove();
    }
    const keys = [...(await stored(table)).keys()].sort();
    expect(keys).toEqual(items.map((i) => i.model.id).sort());
  });

  it('throws (destination) when the table is keyed otherwise than the items, with nothing failed', async () => {
    const table = await newTable(); // keyed `pk`
    const keyedById = (i: BufferedItem<Model>): Record<string, AttributeValue> => ({ id: { S: i.model.id } });
    const wrong = new DynamoDBEmitter<Model>({ client, table, toItem: keyedById });
    // One item (BatchWriteItem refuses it as PutItem does) and a whole chunk (refused, then put one by one).
    for (const items of [models('k', 1), models('k', 30)]) {
      await expect(wrong.emit(batch(items))).rejects.toMatchObject({ name: 'DynamoDBKeySchemaError' });
    }
    expect((await stored(table)).size).toBe(0);
  });

  it('isolates an item over 400 KB (and one without its key) as failed; the others are stored', async () => {
    const table = await newTable();
    const items = models('v', 30);
    items[3] = item({ id: 'v-big', body: 'x'.repeat(410_000) }, 3);
    items[27] = item({ id: 'v-nokey' }, 27);
    const badKey = (i: BufferedItem<Model>) =>
      i.model.id === 'v-nokey' ? { body: { S: 'no key' } } : toItem(i);
    const faults = injectFaults(client, {});
    const emitter = new DynamoDBEmitter<Model>({ client, table, toItem: badKey });
    const failed = await emitter.emit(batch(items));
    faults.remove();
    expect(failed.map((f) => f.item)).toEqual([items[3], items[27]]);
    expect(failed[0].error).toMatch(/ValidationException: Item size has exceeded the maximum allowed size/);
    expect(failed[1].error).toMatch(/ValidationException: .*key/);
    // Both chunks were refused whole, then put item by item.
    expect(faults.calls.get('BatchWriteItem')).toBe(2);
    expect(faults.calls.get('PutItem')).toBe(30);
    const keys = await stored(table);
    expect(keys.size).toBe(28);
    expect(keys.has('v-big')).toBe(false);
    // The pipeline emits failed items again alone: the table took this emitter's items, so still the record's.
    await expect(emitter.emit(batch([items[27]]))).resolves.toMatchObject([{ item: items[27] }]);
  });

  it('returns a toItem failure as a failed item', async () => {
    const table = await newTable();
    const items = models('t', 3);
    const throwing = (i: BufferedItem<Model>) => {
      if (i.model.id === 't-1') throw new Error('no good');
      return toItem(i);
    };
    const failed = await new DynamoDBEmitter<Model>({ client, table, toItem: throwing }).emit(batch(items));
    expect(failed).toEqual([{ item: items[1], error: 'toItem: no good' }]);
    expect((await stored(table)).size).toBe(2);
  });

  it("hands toItem the batch's context: one emitter keys the items of every shard", async () => {
    const table = await newTable();
    const byShard = (i: BufferedItem<Model>, b: BatchContext<Model>) => ({
      pk: { S: `${b.shardId}/${i.model.id}` },
      range: { S: `${b.streamName}:${b.firstSequenceNumber}-${b.lastSequenceNumber}` },
    });
    const one = new DynamoDBEmitter<Model>({ client, table, toItem: byShard });
    const items = models('s', 2);
    await one.emit(emitBatch(items, { shardId: 'shardId-000000000000' }));
    await one.emit(emitBatch(items, { shardId: 'shardId-000000000001' }));
    const keys = [...(await stored(table)).entries()].map(([pk, i]) => [pk, i.range.S]).sort();
    expect(keys).toEqual([
      ['shardId-000000000000/s-0', 'orders:1000-1001'],
      ['shardId-000000000000/s-1', 'orders:1000-1001'],
      ['shardId-000000000001/s-0', 'orders:1000-1001'],
      ['shardId-000000000001/s-1', 'orders:1000-1001'],
    ]);
  });

  it('throws (destination unavailable) when the table does not exist', async () => {
    await expect(emitter(uniqueName('missing')).emit(batch(models('m', 3)))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('matches unprocessed copies by content: key order, binary and set order do not matter', () => {
    const a = { pk: { S: 'x' }, b: { B: new Uint8Array([1, 2]) }, s: { SS: ['q', 'p'] } };
    const b = { s: { SS: ['p', 'q'] }, b: { B: Buffer.from([1, 2]) }, pk: { S: 'x' } };
    expect(canonical(a)).toBe(canonical(b));
    expect(canonical({ l: { L: [{ S: 'p' }, { S: 'q' }] } })).not.toBe(
      canonical({ l: { L: [{ S: 'q' }, { S: 'p' }] } }),
    );
  });
});
