/**
 * `leases` and `lag --leases` while two real lease workers share a 4-shard stream: owners, counters, each
 * worker's share, renewals seen by sampling, and checkpoints with their owners.
 */
import {
  ensureStream,
  isSettled,
  leaseAssignment,
  LeaseTable,
  leaseTableName,
} from '../../libs/kinesis/src/index.js';
import { dynamoClient, eventually, kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { leaseWorker, type LeaseWorker } from '../lease/fixtures.js';
import { cli } from './cli-harness.js';

describe('cli: leases', () => {
  const kinesis = kinesisClient('kinesalite');
  const dynamo = dynamoClient();
  const stream = uniqueName('cli-leases');
  const app = uniqueName('leases-app');
  const table = new LeaseTable({
    client: dynamo,
    tableName: leaseTableName(app, stream),
    createTable: false,
  });
  let workers: LeaseWorker[] = [];

  beforeAll(async () => {
    await ensureStream(kinesis, stream, { shardCount: 4 });
    workers = ['worker-a', 'worker-b'].map((workerId) =>
      leaseWorker({ kinesis, dynamo, streamName: stream, appName: app, workerId }),
    );
    await Promise.all(workers.map((w) => w.consumer.start()));
    // Balanced: two leases each (target = ceil(4 leases / 2 workers)).
    await eventually(async () => isSettled(leaseAssignment(await table.list()), ['worker-a', 'worker-b']), {
      timeoutMs: 30_000,
      message: 'two leases per worker',
    });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.consumer.stop()));
    kinesis.destroy();
    dynamo.destroy();
  });

  it('lists every lease with its owner and counter, and each worker with its share', async () => {
    const result = await cli(['--json', 'leases', app, '--stream', stream]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      app,
      stream,
      table: `${app}-${stream}`,
      workable: 4,
      unowned: 0,
      finished: 0,
    });
    expect(report.leases.map((l: any) => l.shardId)).toEqual(
      [0, 1, 2, 3].map((i) => `shardId-00000000000${i}`),
    );
    expect(report.leases.every((l: any) => ['worker-a', 'worker-b'].includes(l.owner) && l.counter > 0)).toBe(
      true,
    );
    expect(report.workers).toEqual([
      { worker: 'worker-a', leases: 2, sharePercent: 50 },
      { worker: 'worker-b', leases: 2, sharePercent: 50 },
    ]);
  });

  it('--sample reads the table twice and shows which leases were renewed in between', async () => {
    // Renewals come every failover / 3 = 1 s; a lease not renewed for 3 s would be taken by the other worker.
    const report = JSON.parse(
      (await cli(['--json', 'leases', app, '--stream', stream, '--sample', '2500'])).stdout,
    );
    expect(report.sampledMs).toBe(2500);
    expect(report.leases.every((l: any) => l.renewed === true)).toBe(true);
    expect(report.workers.map((w: any) => w.renewed)).toEqual([2, 2]);
  });

  it('prints the leases and the workers for people', async () => {
    const result = await cli(['leases', app, '--stream', stream], { stdoutTTY: true });
    expect(result.code).toBe(0);
    expect(result.lines[0]).toMatch(/^shard +owner +handing over to +counter +checkpoint/);
    expect(result.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^worker-a +2 +50%$/)]));
    expect(result.lines.at(-1)).toBe(
      `4 leases in ${app}-${stream}: 4 workable, 0 unowned, 0 being handed over, 0 finished`,
    );
  });

  it('lag --leases shows each shard with its owner, caught up once the workers checkpointed', async () => {
    await putRaw(
      kinesis,
      stream,
      Array.from({ length: 40 }, (_, i) => ({ data: `r${i}`, key: `k${i}` })),
    );
    let report: any;
    await eventually(
      async () => {
        report = JSON.parse(
          (await cli(['--json', 'lag', app, '--stream', stream, '--leases', `${app}-${stream}`])).stdout,
        );
        return report.unread === 0;
      },
      { message: 'every record checkpointed' },
    );
    expect(report.source).toBe(`dynamodb:${app}-${stream}`);
    expect(report.shards).toHaveLength(4);
    for (const shard of report.shards) {
      expect(['worker-a', 'worker-b']).toContain(shard.owner);
      expect(shard.state).toBe('caught-up');
    }
    expect(report.shards.filter((s: any) => /^\d+$/.test(s.checkpoint ?? '')).length).toBeGreaterThan(0);
  });
});
