/**
 * Two Connectors with `consumer.leases` (kinesalite + dynalite) share a 4-shard stream: two leases each, and
 * every record is emitted exactly once overall, by both. Without leases each would drain every shard (and a
 * connector without a checkpoint store is refused).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Connector,
  StringTransformer,
  type DeadLetterEntry,
  type EmitBatch,
  type Emitter,
  type FailedItem,
} from '../../libs/connector/src/index.js';
import { ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import { dynamoClient, eventually, kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { handledCounts } from './fixtures.js';
import { leaseCounts, serviceLeases, settled } from './service-fixtures.js';

/** Keeps the emitted models (emitters themselves are tested elsewhere). */
class CollectingEmitter implements Emitter<string> {
  readonly emitted: string[] = [];
  async emit(batch: EmitBatch<string>): Promise<FailedItem<string>[]> {
    this.emitted.push(...batch.items.map((i) => i.model));
    return [];
  }
  async shutdown(): Promise<void> {}
}

describe('connectors sharing a stream through leases', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const connectors: Connector<string>[] = [];

  beforeAll(() => {
    kinesis = kinesisClient('kinesalite');
    dynamo = dynamoClient();
  });
  afterAll(async () => {
    await Promise.all(connectors.map((c) => c.stop()));
    kinesis.destroy();
    dynamo.destroy();
  });

  it('two connectors hold 2 leases each; 200 records are each emitted once, by both', async () => {
    const streamName = uniqueName('lease-connector');
    const appName = uniqueName('archive');
    await ensureStream(kinesis, streamName, { shardCount: 4 });
    const deadLetters: DeadLetterEntry[] = [];
    const emitters = ['connector-a', 'connector-b'].map((workerId) => {
      const emitter = new CollectingEmitter();
      connectors.push(
        new Connector<string>({
          client: kinesis,
          streamName,
          transformer: new StringTransformer(),
          emitter,
          deadLetter: { write: async (entries) => void deadLetters.push(...entries) },
          bufferLimits: { maxRecords: 20, maxAgeMs: 200 },
          logger: silentLogger,
          consumer: { pollIntervalMs: 50, leases: serviceLeases(dynamo, appName, workerId) },
          pipeline: { ageCheckIntervalMs: 50 },
        }),
      );
      return emitter;
    });
    await Promise.all(connectors.map((c) => c.start()));
    const settle = await settled(dynamo, appName, streamName, ['connector-a', 'connector-b']);
    expect(leaseCounts(settle)).toEqual({ 'connector-a': 2, 'connector-b': 2 });

    const written = Array.from({ length: 200 }, (_, n) => `record-${n}`);
    await putRaw(
      kinesis,
      streamName,
      written.map((data, n) => ({ data, key: `key-${n}` })),
    );
    const all = () => emitters.flatMap((e) => e.emitted);
    await eventually(() => new Set(all()).size >= written.length, { message: '200 records emitted' });
    await Promise.all(connectors.splice(0).map((c) => c.stop())); // final flushes: nothing more may come

    const counts = handledCounts(all());
    expect([...counts.keys()].sort()).toEqual([...written].sort());
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]); // none emitted twice
    expect(emitters.map((e) => e.emitted.length > 0)).toEqual([true, true]);
    expect(deadLetters).toEqual([]);
  });
});
