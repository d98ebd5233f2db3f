/**
 * Renewals failing (DynamoDB errors injected on the worker's own client: a fault dynalite cannot produce) for
 * longer than the failover time: the worker assumes others may hold the lease, stops the reader with
 * leaseLost. Once DynamoDB answers again, the lease (nobody took it) is still in its name: the worker takes it
 * back at its next scan and resumes at its checkpoint; nothing is lost.
 */
import { injectFaults, serviceError } from '../support/faults.js';
import { eventually } from '../support/harness.js';
import { FAILOVER_MS, handledCounts, leaseSuite } from './fixtures.js';

describe('lease renewals failing (kinesalite)', () => {
  const lease = leaseSuite();

  it('stops reading with leaseLost after the failover time, then takes the lease back', async () => {
    const stream = await lease.stream('lease-renew', 1);
    lease.write(stream, { batch: 10, pauseMs: 30 });
    const w1 = lease.worker(stream, 'w1');
    await w1.consumer.start();
    await eventually(() => w1.recorder.records.length > 0, { message: 'reading' });

    const failingSince = Date.now();
    const faults = injectFaults(lease.dynamo, {
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
    const written = await lease.allHandled();
    expect(handledCounts(w1.recorder.datas()).size).toBe(written);
  });
});
