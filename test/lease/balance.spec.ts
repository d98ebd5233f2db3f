/**
 * In-process workers sharing a 6-shard stream through leases (kinesalite + dynalite): three settle at two
 * shards each, and a fourth joining gets its share by cooperative handoff. No worker fails, so every record is
 * handled exactly once: a lease changes hands only after its holder checkpointed (shutdownRequested).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream, leaseTableName, measureSettle } from '../../libs/kinesis/src/index.js';
import { dynamoClient, eventually, kinesisClient, uniqueName } from '../support/harness.js';
import { FAILOVER_MS, handledCounts, leaseWorker, startWriter, type LeaseWorker } from './fixtures.js';

describe('leases among in-process workers on kinesalite', () => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  const workers: LeaseWorker[] = [];
  let writer: ReturnType<typeof startWriter> | undefined;
  beforeAll(() => {
    kinesis = kinesisClient('kinesalite');
    dynamo = dynamoClient();
  });
  afterEach(async () => {
    await writer?.stop().catch(() => undefined);
    await Promise.all(workers.splice(0).map((w) => w.consumer.stop()));
  });
  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  it('3 workers settle at 2 shards each; a 4th gets its share by handoff; every record handled once', async () => {
    const streamName = uniqueName('lease-balance');
    const appName = uniqueName('app');
    const tableName = leaseTableName(appName, streamName);
    await ensureStream(kinesis, streamName, { shardCount: 6 });
    writer = startWriter(kinesis, streamName);
    const worker = (workerId: string) => {
      const w = leaseWorker({ kinesis, dynamo, streamName, appName, workerId });
      workers.push(w);
      return w;
    };

    const startedAt = Date.now();
    const [w1, w2, w3] = ['w1', 'w2', 'w3'].map(worker);
    await Promise.all([w1, w2, w3].map((w) => w.consumer.start()));
    const three = await measureSettle({
      dynamoClient: dynamo,
      tableName,
      workers: ['w1', 'w2', 'w3'],
      startedAt,
    });
    expect(Object.values(three.assignment.owners).map((keys) => keys.length)).toEqual([2, 2, 2]);
    await eventually(() => [w1, w2, w3].every((w) => w.consumer.activeShardIds().length === 2), {
      message: 'two readers on each worker',
    });

    const joinedAt = Date.now();
    const w4 = worker('w4');
    await w4.consumer.start();
    const four = await measureSettle({ dynamoClient: dynamo, tableName, workers: 4, startedAt: joinedAt });
    expect(four.assignment.owners.w4).toHaveLength(1); // 2,2,1,1: w4 at 1 needs one, the others are at target
    await eventually(() => w4.consumer.activeShardIds().length === 1, { message: 'w4 reading its shard' });
    const [moved] = four.assignment.owners.w4;
    // Handed over, not stolen: the holder drained (shutdownRequested checkpointed) and handed the lease over.
    const giver = [w1, w2, w3].find((w) =>
      w.events.some((e) => e.event === 'leaseHandedOver' && e.shardId === moved && e.at >= joinedAt),
    )!;
    expect(giver).toBeDefined();
    expect(giver.recorder.calls('shutdownRequested', moved).length).toBeGreaterThan(0);
    const lastOfGiver = giver.recorder.records.filter((r) => r.shardId === moved).at(-1);
    await eventually(() => w4.recorder.calls('initialize', moved).length > 0);
    if (lastOfGiver)
      expect(w4.recorder.calls('initialize', moved)[0].startedFrom).toBe(lastOfGiver.sequenceNumber);

    const written = await writer.stop();
    const all = () => workers.flatMap((w) => w.recorder.datas());
    await eventually(() => new Set(all()).size >= written, {
      timeoutMs: 30_000,
      message: `${written} records`,
    });
    await Promise.all(workers.map((w) => w.consumer.stop()));

    const counts = handledCounts(all());
    expect(counts.size).toBe(written);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]); // no record twice
    for (const w of workers) {
      expect(w.recorder.calls('leaseLost')).toEqual([]);
      expect(w.events.filter((e) => e.event === 'leaseLost')).toEqual([]);
      expect(w.errors).toEqual([]);
    }
    console.info(`3 workers settled in ${three.elapsedMs} ms; the 4th got its share in ${four.elapsedMs} ms`);
  });

  it('a stopping worker checkpoints and releases its leases: another takes them without waiting for failover', async () => {
    const streamName = uniqueName('lease-stop');
    const appName = uniqueName('app');
    await ensureStream(kinesis, streamName, { shardCount: 2 });
    writer = startWriter(kinesis, streamName, { batch: 10, pauseMs: 30 });
    const [w1, w2] = ['w1', 'w2'].map((workerId) =>
      leaseWorker({ kinesis, dynamo, streamName, appName, workerId }),
    );
    workers.push(w1, w2);
    await Promise.all([w1.consumer.start(), w2.consumer.start()]);
    await measureSettle({ dynamoClient: dynamo, tableName: leaseTableName(appName, streamName), workers: 2 });
    await eventually(() => w1.consumer.activeShardIds().length === 1 && w1.recorder.records.length > 0);
    const [shardId] = w1.consumer.activeShardIds();

    const stoppedAt = Date.now();
    await w1.consumer.stop();
    expect(w1.recorder.calls('shutdownRequested', shardId)).toHaveLength(1);
    await eventually(() => w2.events.some((e) => e.event === 'leaseTaken' && e.shardId === shardId));
    const takenAfter =
      w2.events.find((e) => e.shardId === shardId && e.event === 'leaseTaken')!.at - stoppedAt;
    expect(takenAfter).toBeLessThan(FAILOVER_MS); // released, not expired

    const written = await writer.stop();
    const all = () => [...w1.recorder.datas(), ...w2.recorder.datas()];
    await eventually(() => new Set(all()).size >= written, { message: `${written} records` });
    expect([...handledCounts(all()).values()].filter((n) => n > 1)).toEqual([]);
  });
});
