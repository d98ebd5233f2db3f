/**
 * The Nest entry loads no optional driver until a part that needs it is chosen: importing it (and building the
 * memory / DynamoDB / Kinesis parts) works with pg, ioredis and @aws-sdk/client-s3 made unloadable.
 */
import { jest } from '@jest/globals';

const DRIVERS = ['pg', 'ioredis', '@aws-sdk/client-s3'];
for (const name of DRIVERS) {
  jest.unstable_mockModule(name, () => {
    throw new Error(`${name} was loaded`);
  });
}

describe('ConnectorModule entry without optional drivers', () => {
  it('imports, and builds the parts that need none', async () => {
    const nest = await import('./index.js');
    const { createCheckpointStore, createDeadLetterSink } = await import('./parts.js');
    const options = nest.resolveConnectorOptions({ stream: 's', emitter: 'kinesis', targetStream: 't' });
    const resources = new nest.ConnectorResources(options);
    try {
      expect(await createCheckpointStore(options, resources)).toBeDefined();
      expect(await createDeadLetterSink(options, resources)).toBeDefined();
    } finally {
      await resources.onApplicationShutdown();
    }
  });

  it('a part that needs one fails when chosen, not before', async () => {
    const { createCheckpointStore } = await import('./parts.js');
    const { resolveConnectorOptions, ConnectorResources } = await import('./index.js');
    const options = resolveConnectorOptions({
      stream: 's',
      checkpointStore: 'redis',
      redisUrl: 'redis://x',
      emitter: 'kinesis',
      targetStream: 't',
    });
    await expect(createCheckpointStore(options, new ConnectorResources(options))).rejects.toThrow(
      'ioredis was loaded',
    );
  });
});
