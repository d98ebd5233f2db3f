/**
 * Renewals failing (DynamoDB errors injected on the worker's own client: a fault dynalite cannot produce) for
 * longer than the failover time: the worker assumes others may hold the lease, stops the reader with
 * leaseLost. Once DynamoDB answers again, the lease (nobody took it) is still in its name: the worker takes it
 * back at its next scan and resumes at its checkpoint; nothing is lost.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { injectFaults, serviceError } from '../support/faults.js';
import { dynamoClient, eventually, kinesisClient, uniqueName } from '../support/harness.js';
import { FAILOVER_MS, handledCounts, leaseWorker, startWriter, type LeaseWorker } from './fixtures.js';

describe('lease renewals failing (kinesalite)', () => {
  let kinesis: KinesisClient;
  let worker: LeaseWorker | undefined;
  let writer: ReturnType<typeof startWriter> | undefined;
  const dynamo = dynamoClient();
  beforeAll(() => (kinesis = kinesisClient('kinesalite')));
  afterEach(async () => {
    await writer?.stop().catch(() => undefined);
    await worker?.consumer.stop();
  });
  afterAll(() => {
    kinesis.destroy();
    dynamo.destroy();
  });

  it('stops reading with leaseLost after the failover time, then takes the lease back', async () => {
    const streamName = uniqueName('lease-renew');
    await ensureStream(kinesis, streamName, { shardCount: 1 });
    writer = startWriter(kinesis, streamName, { batch: 10, pauseMs: 30 });
    worker = leaseWorker({ kinesis, dynamo, streamName, appName: uniqueName('app'), workerId: 'w1' });
    const w1 = worker;
    await w1.consumer.start();
    await eventually(() => w1.recorder.records.length > 0, { message: 'reading' });

    const failingSince = Date.now();
    const faults = injectFaults(dynamo, {
      UpdateItem: async () => {
        throw serviceError('InternalServerError', 'injected', 'server');
      },
    });
    await eventually(() => w1.events.some((e) => e.event === 'leaseLost'), {
      timeoutMs: FAILOVER_MS * 3,
      message: 'leaseLost',
    });
    const lostAfter = w1.events.find((e) => e.event === 'leaseLost')!.at - failingSince;
    expect(lostAfter).toBeGreaterThan(FAILOVER_MS - 1_000); // the last renewal was up to one interval before
    await eventually(
      () => w1.recorder.calls('leaseLost').length === 1 && w1.consumer.activeShardIds().length === 0,
    );
    expect(w1.recorder.calls('shutdownRequested')).toEqual([]);

    faults.remove();
    const healedAt = Date.now();
    await eventually(() => w1.events.some((e) => e.event === 'leaseTaken' && e.at > healedAt), {
      message: 'the lease taken back',
    });
    await eventually(() => w1.consumer.activeShardIds().length === 1);
    const written = await writer.stop();
    await eventually(() => new Set(w1.recorder.datas()).size >= written, { message: `${written} records` });
    expect(handledCounts(w1.recorder.datas()).size).toBe(written);
  });
});
