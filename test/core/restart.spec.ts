/**
 * Restart from a checkpoint with each store: a first consumer dies (no shutdown checkpoint) after some
 * batches; a second one with the same store loses nothing and repeats at most the uncheckpointed batch.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Consumer,
  DynamoDBCheckpointStore,
  ensureStream,
  MemoryCheckpointStore,
  silentLogger,
  type CheckpointStore,
} from '../../libs/kinesis/src/index.js';
import { RedisCheckpointStore } from '../../src/kinesis/redis/index.js';
import {
  dynamoClient,
  eventually,
  KINESIS_EMULATORS,
  kinesisClient,
  redisUrl,
  uniqueName,
} from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { Recorder } from '../support/recording-processor.js';

const stores: Array<[string, () => CheckpointStore]> = [
  ['memory', () => new MemoryCheckpointStore()],
  ['redis', () => new RedisCheckpointStore({ url: redisUrl(), appName: uniqueName('app') })],
  ['dynamodb', () => new DynamoDBCheckpointStore({ client: dynamoClient(), appName: uniqueName('app') })],
];
const BATCH = 25;
const TOTAL = 300;

describe.each(KINESIS_EMULATORS)('restart from a checkpoint on %s', (emulator) => {
  let client: KinesisClient;
  beforeAll(() => (client = kinesisClient(emulator)));
  afterAll(() => client.destroy());

  it.each(stores)(
    'with the %s store: nothing lost, at most the uncheckpointed batch again',
    async (_, makeStore) => {
      const store = makeStore();
      const streamName = uniqueName('restart');
      await ensureStream(client, streamName, { shardCount: 2 });
      await putRaw(
        client,
        streamName,
        Array.from({ length: TOTAL }, (_, i) => ({ data: `r:${i}`, key: `k${i % 7}` })),
      );
      const options = {
        client,
        streamName,
        checkpointStore: store,
        pollIntervalMs: 20,
        maxRecordsPerCall: BATCH,
        logger: silentLogger,
      };

      // First run: checkpoints every other batch of each shard, "crashes" (no shutdown checkpoint) after ~half.
      const first = new Recorder();
      const batches = new Map<string, number>();
      const c1 = new Consumer({
        ...options,
        processorFactory: first.factory({
          checkpointEachBatch: false,
          checkpointOnShutdown: false,
          onBatch: async (shardId, { checkpointer }) => {
            batches.set(shardId, (batches.get(shardId) ?? 0) + 1);
            if (batches.get(shardId)! % 2 === 0) await checkpointer.checkpoint();
          },
        }),
      });
      await c1.start();
      await eventually(() => first.records.length >= TOTAL / 2, { message: 'half the records' });
      await c1.stop();

      const second = new Recorder();
      const c2 = new Consumer({ ...options, processorFactory: second.factory() });
      await c2.start();
      const seen = () => new Set([...first.datas(), ...second.datas()]).size;
      await eventually(() => seen() === TOTAL, { message: `all ${TOTAL} records` });
      await c2.stop();
      await store.close?.();

      const firstSet = new Set(first.datas());
      const repeated = second.datas().filter((d) => firstSet.has(d));
      expect(second.records.length).toBeLessThan(TOTAL); // it did resume from a checkpoint
      expect(repeated.length).toBeLessThanOrEqual(2 * BATCH); // at most one uncheckpointed batch per shard
      // Each shard resumed right after its checkpoint: the repeats are the first records it delivered.
      for (const shardId of new Set(second.records.map((r) => r.shardId))) {
        const mine = second.records.filter((r) => r.shardId === shardId).map((r) => r.data.toString());
        const repeats = mine.filter((d) => firstSet.has(d));
        expect(mine.slice(0, repeats.length)).toEqual(repeats);
      }
    },
  );
});
