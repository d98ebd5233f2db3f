/**
 * checkpointStore 'leases': no checkpoint store part, the Consumer's leases from the options and resources instead.
 * emitter 'dynamodb': one item per model, keyed by provenance, with the batch's shard.
 */
import 'reflect-metadata';
import { CreateTableCommand, DeleteTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Test } from '@nestjs/testing';
import { MemoryCheckpointStore, silentLogger } from '../../../kinesis/src/index.js';
import { bufferedItem, emitBatch } from '../../../../test/support/emit-batches.js';
import { uniqueName } from '../../../../test/support/harness.js';
import { Connector, InvalidConnectorOptionsError } from '../connector.js';
import { DynamoDBEmitter } from '../emitters/dynamodb-emitter.js';
import { JsonTransformer } from '../transformers.js';
import {
  resolveConnectorOptions,
  type ConnectorModuleOptions,
  type ResolvedConnectorOptions,
} from './options.js';
import { createEmitter, createLeaseOptions, defaultParts } from './parts.js';
import { ConnectorResources } from './resources.js';
import { CHECKPOINT_STORE, CONNECTOR_OPTIONS } from './tokens.js';

const base = { stream: 'orders', s3Bucket: 'archive', dynamodbEndpoint: 'http://127.0.0.1:1' };
const optionsOf = (o: Partial<ConnectorModuleOptions>) => resolveConnectorOptions({ ...base, ...o });
type ConnectorConfig = ResolvedConnectorOptions;

async function partsFor(config: ConnectorConfig) {
  const module = await Test.createTestingModule({
    providers: [
      { provide: CONNECTOR_OPTIONS, useValue: config },
      ConnectorResources,
      defaultParts.checkpointStore,
    ],
  }).compile();
  return { module, resources: module.get(ConnectorResources), store: module.get(CHECKPOINT_STORE) };
}

/** What ConnectorService builds from the parts (its Kinesis client is never called: nothing is started). */
function connectorFrom(config: ConnectorConfig, resources: ConnectorResources, checkpointStore: unknown) {
  return new Connector<unknown>({
    client: {} as KinesisClient,
    streamName: config.stream,
    checkpointStore: checkpointStore as MemoryCheckpointStore | undefined,
    transformer: new JsonTransformer(),
    emitter: { emit: async () => [], shutdown: async () => undefined },
    deadLetter: { write: async () => undefined },
    logger: silentLogger,
    consumer: { leases: createLeaseOptions(config, resources) },
  });
}

describe('connector parts with leases', () => {
  it("checkpointStore 'leases': no store, lease options on the app name, worker id and DynamoDB client", async () => {
    const config = optionsOf({
      checkpointStore: 'leases',
      appName: 'archiver',
      leases: { workerId: 'connector-a', failoverTimeMs: 3_000 },
    });
    const { module, resources, store } = await partsFor(config);
    expect(store).toBeUndefined();
    expect(createLeaseOptions(config, resources)).toEqual({
      dynamoClient: resources.dynamodb,
      appName: 'archiver',
      workerId: 'connector-a',
      failoverTimeMs: 3_000,
    });
    expect(connectorFrom(config, resources, store).consumer.workerId).toBe('connector-a');
    await module.close();
  });

  it('another store: no lease options, and the connector keeps its store', async () => {
    const config = optionsOf({ checkpointStore: 'memory' });
    const { module, resources, store } = await partsFor(config);
    expect(store).toBeInstanceOf(MemoryCheckpointStore);
    expect(createLeaseOptions(config, resources)).toBeUndefined();
    expect(connectorFrom(config, resources, store).consumer.workerId).toBeUndefined();
    // Both at once (a store override with checkpointStore 'leases') is refused.
    const leasesConfig = optionsOf({ checkpointStore: 'leases' });
    expect(() => connectorFrom(leasesConfig, resources, store)).toThrow(InvalidConnectorOptionsError);
    await module.close();
  });
});

describe("emitter 'dynamodb' (dynalite)", () => {
  it('keeps every model of a record that holds a JSON array, and a replayed batch overwrites them', async () => {
    const table = uniqueName('parts-dynamo');
    const config = resolveConnectorOptions({
      stream: 'orders',
      emitter: 'dynamodb',
      dynamodbEndpoint: process.env.DYNALITE_ENDPOINT!,
      dynamodbTable: table,
    });
    const resources = new ConnectorResources(config);
    try {
      const emitter = await createEmitter(config, resources);
      const batch = emitBatch([
        bufferedItem({ id: 'a' }, { sequenceNumber: '100' }),
        bufferedItem({ id: 'b0' }, { sequenceNumber: '200', modelIndex: 0 }),
        bufferedItem({ id: 'b1' }, { sequenceNumber: '200', modelIndex: 1 }),
        bufferedItem({ id: 'b2' }, { sequenceNumber: '200', modelIndex: 2 }),
      ]);
      expect(await emitter.emit(batch)).toEqual([]);
      expect(await emitter.emit(batch)).toEqual([]); // replayed after a crash
      // The same emitter writes another shard's batch: its shard is in the key (the batch context of toItem).
      const other = emitBatch([bufferedItem({ id: 'c' }, { sequenceNumber: '100' })], {
        shardId: 'shardId-000000000001',
      });
      expect(emitter).toBeInstanceOf(DynamoDBEmitter);
      expect(await emitter.emit(other)).toEqual([]);
      const { Items } = await resources.dynamodb.send(new ScanCommand({ TableName: table }));
      expect(Items!.map((i) => [i.id.S, i.shardId.S, JSON.parse(i.data.S!).id]).sort()).toEqual([
        ['shardId-000000000000:100:0', 'shardId-000000000000', 'a'],
        ['shardId-000000000000:200:0', 'shardId-000000000000', 'b0'],
        ['shardId-000000000000:200:0:1', 'shardId-000000000000', 'b1'],
        ['shardId-000000000000:200:0:2', 'shardId-000000000000', 'b2'],
        ['shardId-000000000001:100:0', 'shardId-000000000001', 'c'],
      ]);
    } finally {
      await resources.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      await resources.onApplicationShutdown();
    }
  });

  it('refuses at start an existing table keyed otherwise than by hash key "id" (S), naming the table', async () => {
    const config = (table: string) =>
      resolveConnectorOptions({
        stream: 'orders',
        emitter: 'dynamodb',
        dynamodbEndpoint: process.env.DYNALITE_ENDPOINT!,
        dynamodbTable: table,
      });
    const resources = new ConnectorResources(config('unused'));
    const tables = [uniqueName('parts-pk'), uniqueName('parts-id-n'), uniqueName('parts-range')];
    const create = (table: string, keys: Array<[string, 'HASH' | 'RANGE', 'S' | 'N']>) =>
      resources.dynamodb.send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: keys.map(([name, , type]) => ({ AttributeName: name, AttributeType: type })),
          KeySchema: keys.map(([name, kind]) => ({ AttributeName: name, KeyType: kind })),
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    try {
      await create(tables[0], [['pk', 'HASH', 'S']]);
      await create(tables[1], [['id', 'HASH', 'N']]);
      await create(tables[2], [
        ['id', 'HASH', 'S'],
        ['at', 'RANGE', 'N'],
      ]);
      await expect(createEmitter(config(tables[0]), resources)).rejects.toThrow(
        `DynamoDB table ${tables[0]} has key schema (pk HASH S); the DynamoDB emitter's provenance items need the hash key "id"`,
      );
      await expect(createEmitter(config(tables[1]), resources)).rejects.toThrow(/\(id HASH N\)/);
      await expect(createEmitter(config(tables[2]), resources)).rejects.toThrow(/\(id HASH S, at RANGE N\)/);
    } finally {
      for (const table of tables) {
        await resources.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      }
      await resources.onApplicationShutdown();
    }
  });
});
