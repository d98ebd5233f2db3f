/**
 * A lease worker killed with SIGKILL (a real child process, lease-worker.mjs) while records flow, beside two
 * in-process workers: its shards are taken within the failover time plus a scan, a worker joining later gets
 * its share by cooperative handoff, and every record put is handled. A record is handled twice only across
 * the failover, and only if it was in the killed worker's last, uncheckpointed batch of its shard.
 */
import { eventually, kinesisEndpoint } from '../support/harness.js';
import { FAILOVER_MS, handledCounts, leaseSuite, TAKE_INTERVAL_MS } from './fixtures.js';
import { LeaseWorkerProcess, transpileKinesisLib } from './worker-process.js';

describe('a lease worker killed with SIGKILL (kinesalite)', () => {
  const lease = leaseSuite();
  let lib: ReturnType<typeof transpileKinesisLib> | undefined;
  let child: LeaseWorkerProcess | undefined;
  beforeAll(() => {
    lib = transpileKinesisLib();
  });
  afterEach(async () => {
    await child?.kill();
  });
  afterAll(() => {
    lib?.remove();
  });

  it('its shards are taken within the failover time, a joining worker gets its share, every record handled', async () => {
    const stream = await lease.stream('lease-kill', 6);
    const { streamName, appName } = stream;
    lease.write(stream);
    const worker = (workerId: string) => lease.worker(stream, workerId);

    const startedAt = Date.now();
    child = new LeaseWorkerProcess({
      KINESIS_LIB: lib!.dir,
      KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
      DYNAMO_ENDPOINT: process.env.DYNALITE_ENDPOINT!,
      STREAM_NAME: streamName,
      APP_NAME: appName,
      WORKER_ID: 'child',
      FAILOVER_MS: String(FAILOVER_MS),
      TAKE_INTERVAL_MS: String(TAKE_INTERVAL_MS),
      CHECKPOINT_DELAY_MS: '300',
    });
    const [w1, w2] = [worker('w1'), worker('w2')];
    await Promise.all([w1.consumer.start(), w2.consumer.start()]);
    const settled = await lease.settle(stream, ['child', 'w1', 'w2'], { startedAt, timeoutMs: 30_000 });
    const childShards = settled.assignment.owners.child;
    expect(childShards).toHaveLength(2);
    // Kill it mid-batch: it checkpointed on each of its shards, and handled a batch it has not checkpointed yet.
    const lastLine = (shardId: string) =>
      child!.lines.filter((l) => 'shardId' in l && l.shardId === shardId && l.event !== 'leaseTaken').at(-1);
    await eventually(
      () =>
        childShards.every((s) => child!.lines.some((l) => l.event === 'checkpointed' && l.shardId === s)) &&
        childShards.some((s) => lastLine(s)?.event === 'records'),
      { message: `the child mid-batch ${child.stderr}` },
    );
    const killedAt = Date.now();
    await child.kill('SIGKILL');

    const recovered = await lease.settle(stream, ['w1', 'w2'], { startedAt: killedAt, timeoutMs: 20_000 });
    // Expired FAILOVER_MS after its last renewal as each survivor saw it (scans every TAKE_INTERVAL_MS).
    expect(recovered.elapsedMs).toBeLessThan(FAILOVER_MS + 2 * TAKE_INTERVAL_MS + 1_500);
    await eventually(
      () => childShards.every((s) => [w1, w2].some((w) => w.consumer.activeShardIds().includes(s))),
      {
        message: "the survivors reading the child's shards",
      },
    );

    const joinedAt = Date.now();
    const w3 = worker('w3');
    await w3.consumer.start();
    const rebalanced = await lease.settle(stream, ['w1', 'w2', 'w3'], { startedAt: joinedAt });
    expect(rebalanced.assignment.owners.w3).toHaveLength(2);
    // Both by handoff (nothing was free): the holders drained, checkpointed and handed over.
    const handedToW3 = () =>
      [w1, w2].flatMap((w) => w.events.filter((e) => e.event === 'leaseHandedOver' && e.at >= joinedAt));
    await eventually(() => handedToW3().length === 2, { message: 'two hand-overs to w3' });
    expect(
      handedToW3()
        .map((e) => e.shardId)
        .sort(),
    ).toEqual([...rebalanced.assignment.owners.w3].sort());

    const childData = child.records().map((r) => r.data);
    const written = await lease.allHandled({ timeoutMs: 30_000, elsewhere: childData });
    await lease.stopWorkers();

    const counts = handledCounts(childData, lease.handled());
    expect(counts.size).toBe(written); // every record put was handled
    const uncheckpointed = new Set([...child.uncheckpointed().values()].flat());
    const twice = [...counts].filter(([, n]) => n > 1).map(([data]) => data);
    // The killed batch is handled again (the survivor resumed at the checkpoint), and nothing else is.
    expect(twice.length).toBeGreaterThan(0);
    expect(twice.filter((data) => !uncheckpointed.has(data))).toEqual([]);
    expect([...counts.values()].every((n) => n <= 2)).toBe(true);
    for (const w of lease.workers) expect(w.recorder.calls('leaseLost')).toEqual([]);
    console.info(
      `3 workers (one a child process) settled in ${settled.elapsedMs} ms; recovered from SIGKILL in ` +
        `${recovered.elapsedMs} ms (failover ${FAILOVER_MS} ms); a joining worker got its share in ` +
        `${rebalanced.elapsedMs} ms; ${twice.length} of ${written} records handled twice`,
    );
  });
});
