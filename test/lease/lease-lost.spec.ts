/**
 * A lease taken from under a reading worker (another writer to the lease table, mid-batch): the worker's
 * checkpoint is refused with LeaseLostError, its processor gets leaseLost (not shutdownRequested) and its
 * reader stops. The thief never renews: after the failover time the worker takes the lease back and resumes
 * at the last stored checkpoint, so only the refused batch is handled twice and nothing is lost.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ensureStream,
  LeaseLostError,
  LeaseTable,
  leaseTableName,
  type Lease,
} from '../../libs/kinesis/src/index.js';
import {
  dynamoClient,
  eventually,
  KINESIS_EMULATORS,
  kinesisClient,
  uniqueName,
} from '../support/harness.js';
import { FAILOVER_MS, handledCounts, leaseWorker, startWriter, type LeaseWorker } from './fixtures.js';

describe.each(KINESIS_EMULATORS)('a lease lost while reading, on %s', (emulator) => {
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let worker: LeaseWorker | undefined;
  let writer: ReturnType<typeof startWriter> | undefined;
  beforeAll(() => {
    kinesis = kinesisClient(emulator);
    dynamo = dynamoClient();
  });
  afterEach(async () => {
    await writer?.stop().catch(() => undefined);
    await worker?.consumer.stop();
  });
  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  it('stops the reader with leaseLost, refuses its checkpoint, and re-reads from the checkpoint after failover', async () => {
    const streamName = uniqueName('lease-lost');
    const appName = uniqueName('app');
    await ensureStream(kinesis, streamName, { shardCount: 1 });
    const table = new LeaseTable({ client: dynamo, tableName: leaseTableName(appName, streamName) });
    writer = startWriter(kinesis, streamName, { batch: 10, pauseMs: 20 });
    let stolen: { lease: Lease; at: number } | undefined;
    let batches = 0;
    worker = leaseWorker({
      kinesis,
      dynamo,
      streamName,
      appName,
      workerId: 'w1',
      recording: {
        // The fourth batch: another worker takes the lease between handling and checkpointing.
        onBatch: async (shardId) => {
          if (++batches !== 4) return;
          const lease = (await table.get(shardId))!;
          stolen = { lease: (await table.take(lease, 'thief'))!, at: Date.now() };
        },
      },
    });
    const w1 = worker;
    await w1.consumer.start();
    await eventually(() => stolen !== undefined, { message: 'the steal' });
    const shardId = stolen!.lease.leaseKey;
    expect(stolen!.lease.leaseOwner).toBe('thief');

    await eventually(() => w1.recorder.calls('leaseLost').length === 1, { message: 'leaseLost' });
    expect(w1.recorder.calls('shutdownRequested')).toEqual([]);
    expect(w1.events.filter((e) => e.event === 'leaseLost').map((e) => e.shardId)).toEqual([shardId]);
    expect(w1.errors.length).toBeGreaterThan(0);
    expect(w1.errors.every((e) => e instanceof LeaseLostError)).toBe(true); // the refused checkpoint, typed
    expect(w1.consumer.activeShardIds()).toEqual([]);
    // The refused checkpoint left the table as the thief took it.
    expect((await table.get(shardId))!.checkpoint).toEqual(stolen!.lease.checkpoint);

    // The thief never renews: the worker sees the counter stand still for the failover time and takes it back.
    await eventually(() => w1.events.some((e) => e.event === 'leaseTaken' && e.at > stolen!.at), {
      timeoutMs: FAILOVER_MS * 3,
      message: 'the lease taken back',
    });
    const retakenAfter =
      w1.events.find((e) => e.event === 'leaseTaken' && e.at > stolen!.at)!.at - stolen!.at;
    expect(retakenAfter).toBeGreaterThanOrEqual(FAILOVER_MS);
    const restarted = w1.recorder.calls('initialize').at(-1)!;
    expect(restarted.startedFrom).toBe(stolen!.lease.checkpoint!.sequenceNumber);

    const written = await writer.stop();
    await eventually(() => new Set(w1.recorder.datas()).size >= written, { message: `${written} records` });
    await w1.consumer.stop();
    const counts = handledCounts(w1.recorder.datas());
    expect(counts.size).toBe(written);
    const refusedBatch = w1.recorder.calls('processRecords')[3].count!;
    const twice = [...counts.values()].filter((n) => n > 1);
    expect(twice.length).toBe(refusedBatch);
    expect(twice.every((n) => n === 2)).toBe(true);
  });
});
