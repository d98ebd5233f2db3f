/** CHECKPOINT_STORE=leases: no checkpoint store part, the Consumer's leases from the config and resources instead. */
import 'reflect-metadata';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Test } from '@nestjs/testing';
import {
  CHECKPOINT_STORE,
  Connector,
  InvalidConnectorOptionsError,
  JsonTransformer,
} from '../../../libs/connector/src/index.js';
import { MemoryCheckpointStore, silentLogger } from '../../../libs/kinesis/src/index.js';
import { CONNECTOR_CONFIG, loadConnectorConfig, type ConnectorConfig } from './config.js';
import { createLeaseOptions, defaultParts } from './parts.js';
import { ConnectorResources } from './resources.js';

const env = { CONNECTOR_STREAM: 'orders', S3_BUCKET: 'archive', DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' };

async function partsFor(config: ConnectorConfig) {
  const module = await Test.createTestingModule({
    providers: [
      { provide: CONNECTOR_CONFIG, useValue: config },
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
  it('CHECKPOINT_STORE=leases: no store, lease options on the app name, worker id and DynamoDB client', async () => {
    const config = loadConnectorConfig({
      ...env,
      CHECKPOINT_STORE: 'leases',
      CONNECTOR_APP_NAME: 'archiver',
      LEASE_WORKER_ID: 'connector-a',
      LEASE_FAILOVER_MS: '3000',
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
    const config = loadConnectorConfig({ ...env, CHECKPOINT_STORE: 'memory' });
    const { module, resources, store } = await partsFor(config);
    expect(store).toBeInstanceOf(MemoryCheckpointStore);
    expect(createLeaseOptions(config, resources)).toBeUndefined();
    expect(connectorFrom(config, resources, store).consumer.workerId).toBeUndefined();
    // Both at once (a store override with CHECKPOINT_STORE=leases) is refused.
    const leasesConfig = loadConnectorConfig({ ...env, CHECKPOINT_STORE: 'leases' });
    expect(() => connectorFrom(leasesConfig, resources, store)).toThrow(InvalidConnectorOptionsError);
    await module.close();
  });
});
