/** Where a connector keeps its checkpoints: a checkpoint store or the leases of `consumer.leases`, exactly one. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { MemoryCheckpointStore, silentLogger } from '../../kinesis/src/index.js';
import { Connector, InvalidConnectorOptionsError, type ConnectorOptions } from './connector.js';
import type { DeadLetterSink, Emitter } from './interfaces.js';
import { JsonTransformer } from './transformers.js';

// Nothing is started: only the constructors run, so clients that are never called do.
const client = { send: () => Promise.reject(new Error('not called')) } as unknown as KinesisClient;
const dynamoClient = { send: () => Promise.reject(new Error('not called')) } as unknown as DynamoDBClient;
const emitter: Emitter<unknown> = { emit: async () => [], shutdown: async () => undefined };
const deadLetter: DeadLetterSink = { write: async () => undefined };

function connector(o: Partial<ConnectorOptions<unknown>>): Connector<unknown> {
  return new Connector<unknown>({
    client,
    streamName: 'orders',
    transformer: new JsonTransformer(),
    emitter,
    deadLetter,
    logger: silentLogger,
    ...o,
  });
}

const leases = { dynamoClient, appName: 'archive', workerId: 'connector-a' };

describe('Connector checkpoint options', () => {
  it('takes a checkpoint store, or consumer.leases without one', () => {
    expect(connector({ checkpointStore: new MemoryCheckpointStore() }).consumer.workerId).toBeUndefined();
    expect(connector({ consumer: { leases } }).consumer.workerId).toBe('connector-a');
  });

  it('refuses both, with a typed error that says why', () => {
    const both = () => connector({ checkpointStore: new MemoryCheckpointStore(), consumer: { leases } });
    expect(both).toThrow(InvalidConnectorOptionsError);
    expect(both).toThrow(
      'connector options: give either checkpointStore or consumer.leases, not both (the leases hold the checkpoints)',
    );
  });

  it('refuses neither, with a typed error that says what is missing', () => {
    const neither = () => connector({ consumer: { pollIntervalMs: 50 } });
    expect(neither).toThrow(InvalidConnectorOptionsError);
    expect(neither).toThrow(
      'connector options: checkpointStore or consumer.leases is required (where shard checkpoints are kept)',
    );
  });
});
