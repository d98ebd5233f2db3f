/**
 * Two Connectors with `consumer.leases` (kinesalite + dynalite) share a 4-shard stream: two leases each, and
 * every record is emitted exactly once overall, by both. Without leases each would drain every shard (and a
 * connector without a checkpoint store is refused).
 */
import {
  Connector,
  StringTransformer,
  type DeadLetterEntry,
  type EmitBatch,
  type Emitter,
  type FailedItem,
} from '../../libs/connector/src/index.js';
import { silentLogger } from '../../libs/kinesis/src/index.js';
import { eventually } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { awsClients, handledCounts, leaseStream } from './fixtures.js';
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
  const connectors: Connector<string>[] = [];
  const clients = awsClients('kinesalite', () => Promise.all(connectors.map((c) => c.stop())));

  it('two connectors hold 2 leases each; 200 records are each emitted once, by both', async () => {
    const { kinesis, dynamo } = clients;
    const { streamName, appName } = await leaseStream(kinesis, 'lease-connector', 4, 'archive');
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
