/**
 * KinesisHealthIndicator over real servers and clients on the local emulators: lag read from kinesis-local (it
 * reports MillisBehindLatest; kinesalite always says 0), a server not listening, lease shares in dynalite, the
 * reply reader, and a throttling streak (injected: no emulator throttles).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Controller, Module } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ensureStream, LeaseTable, leaseTableName, silentLogger } from '../../../kinesis/src/index.js';
import {
  dynamoClient,
  eventually,
  kinesisClient,
  uniqueName,
  type KinesisEmulator,
} from '../../../../test/support/harness.js';
import { injectFaults, serviceError } from '../../../../test/support/faults.js';
import { putRaw } from '../../../../test/support/kinesis-helpers.js';
import { startClient, startMicroservice, type RunningService } from '../../../../test/transport/fixtures.js';
import { encodeEnvelope } from '../native/envelope.js';
import { ServerKinesis } from '../server-kinesis.js';
import type { ServerKinesisOptions } from '../shared/options.js';
import type { KinesisHealthThresholds } from './kinesis-health.js';
import { KinesisHealthIndicator } from './kinesis-health.indicator.js';

/** The first `health.slow` event waits for `release()`; the rest pass. */
const gate = { first: true, release: () => {}, opened: Promise.resolve() };

@Controller()
class HealthTestController {
  @EventPattern('health.slow')
  async slow(_data: unknown): Promise<void> {
    if (!gate.first) return;
    gate.first = false;
    await gate.opened;
  }

  @MessagePattern('health.wait')
  async wait(): Promise<string> {
    await gate.opened;
    return 'done';
  }
}

@Module({ controllers: [HealthTestController] })
class HealthTestModule {}

const indicator = new KinesisHealthIndicator();
const check = (target: ServerKinesis | { health(): any }, thresholds?: KinesisHealthThresholds) =>
  indicator.isHealthy('kinesis', target, thresholds).then((r) => r.kinesis);

describe('KinesisHealthIndicator', () => {
  const clients: Record<KinesisEmulator, KinesisClient> = {} as never;
  let dynamo: DynamoDBClient;
  const running: Array<{ close(): Promise<unknown> }> = [];

  beforeAll(() => {
    clients.kinesalite = kinesisClient('kinesalite');
    clients['kinesis-local'] = kinesisClient('kinesis-local');
    dynamo = dynamoClient();
  });
  beforeEach(() => {
    let release!: () => void;
    const opened = new Promise<void>((resolve) => (release = resolve));
    Object.assign(gate, { first: true, release, opened });
  });
  afterEach(async () => {
    gate.release();
    for (const r of running.splice(0).reverse()) await r.close();
  });
  afterAll(() => {
    for (const client of Object.values(clients)) client.destroy();
    dynamo.destroy();
  });

  async function streams(emulator: KinesisEmulator, actShards = 1) {
    const actStream = uniqueName('health-act');
    const resStream = uniqueName('health-res');
    await ensureStream(clients[emulator], actStream, { shardCount: actShards });
    await ensureStream(clients[emulator], resStream, { shardCount: 1 });
    return { actStream, resStream, awsClient: clients[emulator] };
  }

  async function serve(options: ServerKinesisOptions): Promise<RunningService> {
    const server = new ServerKinesis({ pollIntervalMs: 20, logger: silentLogger, ...options });
    const service = await startMicroservice(HealthTestModule, server);
    running.push(service);
    return service;
  }

  const event = (n: number) => ({
    data: encodeEnvelope({ v: 1, id: randomUUID(), pattern: 'health.slow', data: { n } }),
    key: 'k',
  });

  it('is down while a shard lags above maxLagMs, naming it; up once the server caught up', async () => {
    const base = await streams('kinesis-local');
    // 100 events (the reader's first call takes 100), then one more a second later: after its first read
    // the server is about a second behind; the first event's handler holds the shard there (concurrency 1).
    await putRaw(
      base.awsClient,
      base.actStream,
      Array.from({ length: 100 }, (_, n) => event(n)),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    await putRaw(base.awsClient, base.actStream, [event(100)]);
    const { server } = await serve({ ...base, concurrency: 1, startPosition: { type: 'TRIM_HORIZON' } });

    const shard = () => server.health().consumers[0]?.shards[0];
    await eventually(() => shard()?.lastReadAt !== undefined, { message: 'the first read' });
    expect(shard()!.millisBehindLatest).toBeGreaterThan(500);
    const down = await check(server, { maxLagMs: 500 });
    expect(down).toMatchObject({
      status: 'down',
      kind: 'server',
      problems: [
        {
          stream: base.actStream,
          shardId: 'shardId-000000000000',
          problem: 'lagging',
          detail: expect.stringMatching(/^millisBehindLatest \d+ > 500$/),
        },
      ],
    });

    gate.release();
    await eventually(async () => (await check(server, { maxLagMs: 500 })).status === 'up', {
      message: 'up once the shard is read to its tip',
    });
  }, 60_000);

  it('is down while a shard is stalled (a handler holds its reader), up once it reads again', async () => {
    const base = await streams('kinesalite');
    // The first event's handler holds the second (concurrency 1), so the batch's delivery does not return.
    await putRaw(base.awsClient, base.actStream, [event(0), event(1)]);
    const { server } = await serve({ ...base, concurrency: 1, startPosition: { type: 'TRIM_HORIZON' } });
    const shard = () => server.health().consumers[0]?.shards[0];
    await eventually(() => shard()?.lastReadAt !== undefined, { message: 'the first read' });
    // The lag it read stays (0 here): only the time without a read shows the stall.
    await eventually(async () => (await check(server, { maxReadGapMs: 300 })).status === 'down', {
      message: 'down once no read returned for 300 ms',
    });
    expect(await check(server, { maxReadGapMs: 300 })).toMatchObject({
      problems: [
        {
          stream: base.actStream,
          shardId: 'shardId-000000000000',
          problem: 'stalled',
          detail: expect.stringMatching(/^no read returned for \d+ ms > 300 \(the last \d+ ms ago\)$/),
        },
      ],
    });
    gate.release();
    await eventually(async () => (await check(server, { maxReadGapMs: 300 })).status === 'up', {
      message: 'up once it reads again',
    });
  }, 60_000);

  it('is down while the server is not listening or closed, up while it listens', async () => {
    const base = await streams('kinesalite');
    const server = new ServerKinesis({ ...base, logger: silentLogger });
    expect(await check(server)).toMatchObject({
      status: 'down',
      problems: [{ problem: 'disconnected', detail: 'server status disconnected' }],
    });
    const service = await startMicroservice(HealthTestModule, server);
    expect(await check(server)).toMatchObject({ status: 'up', problems: [] });
    await service.close();
    expect(await check(server)).toMatchObject({ status: 'down', consumers: [] });
  });

  function leases(appName: string, workerId: string, failoverTimeMs = 3_000) {
    return { dynamoClient: dynamo, appName, workerId, failoverTimeMs, takeIntervalMs: 300 };
  }

  it('two servers on a 4-shard stream each hold their even share: up, with the counts', async () => {
    const base = await streams('kinesalite', 4);
    const appName = uniqueName('health-app');
    const [a, b] = await Promise.all(
      ['worker-a', 'worker-b'].map((id) => serve({ ...base, appName, leases: leases(appName, id) })),
    );
    const share = (s: RunningService) => s.server.health().consumers[0].leases;
    await eventually(() => [a, b].every((s) => share(s)?.leasesHeld === 2 && share(s)?.workers === 2), {
      message: 'two leases each, two workers seen',
    });
    await eventually(() => [a, b].every((s) => share(s)?.belowShareSince === undefined));
    for (const s of [a, b]) {
      expect(share(s)).toEqual({ leasesHeld: 2, workers: 2, openShards: 4, evenShare: 2, unleasedShards: 0 });
      expect(s.server.health().consumers[0].shards).toHaveLength(2);
      expect(await check(s.server, { leaseShareGraceMs: 0 })).toMatchObject({ status: 'up', problems: [] });
    }
  }, 60_000);

  it('a server holding no lease while another worker holds all four is down past the grace period', async () => {
    const base = await streams('kinesalite', 4);
    const appName = uniqueName('health-app');
    // Another worker that holds every lease and never hands one over (it is not running: its leases only
    // expire after the failover time, 60 s here, longer than the test).
    const table = new LeaseTable({ client: dynamo, tableName: leaseTableName(appName, base.actStream) });
    await table.ensureTable();
    for (let i = 0; i < 4; i++) {
      const shardId = `shardId-00000000000${i}`;
      await table.create(shardId, [], 'TRIM_HORIZON');
      await table.take((await table.get(shardId))!, 'busy-worker');
    }
    const { server } = await serve({ ...base, appName, leases: leases(appName, 'idle-worker', 60_000) });

    expect(server.health().consumers[0]).toMatchObject({
      shards: [],
      leases: { leasesHeld: 0, workers: 2, openShards: 4, evenShare: 2, belowShareSince: expect.any(Number) },
    });
    expect(await check(server)).toMatchObject({ status: 'up' }); // within the default grace period
    expect(await check(server, { leaseShareGraceMs: 0 })).toMatchObject({
      status: 'down',
      problems: [
        {
          stream: base.actStream,
          problem: 'below lease share',
          detail: expect.stringMatching(/^holds 0 of 4 leases among 2 workers \(even share 2\) for \d+ ms$/),
        },
      ],
    });
  }, 60_000);

  it("reports the client's reply reader: idle, reading while a call waits, down once it stopped", async () => {
    const base = await streams('kinesalite');
    await serve(base);
    const caller = await startClient(base);
    running.push(caller.app);
    const { client } = caller;
    const reader = () => client.health().replyReaders[0];
    await eventually(() => reader()?.state === 'idle', { message: 'the reply reader idle' });
    expect(client.health()).toMatchObject({ kind: 'client', status: 'connected', pendingCalls: 0 });
    expect(reader()).toMatchObject({
      stream: base.resStream,
      shardId: 'shardId-000000000000',
      throttleStreak: 0,
    });
    // An idle reader awaits no read: not stalled, however long it rests.
    expect(await check(client, { maxReadGapMs: 1 })).toMatchObject({ status: 'up', problems: [] });

    const reply = firstValueFrom(client.send('health.wait', {}));
    await eventually(() => reader().state === 'reading' && client.health().pendingCalls === 1, {
      message: 'reading while a call waits',
    });
    gate.release();
    expect(await reply).toBe('done');

    // A reader that ended (here stopped behind the client's back) reads no reply: down, though connected.
    await (client as unknown as { protocol: { reader: { stop(): Promise<void> } } }).protocol.reader.stop();
    await new Promise((r) => setTimeout(r, 5)); // past maxReadGapMs: a stopped reader is not also stalled
    expect(await check(client, { maxReadGapMs: 1 })).toMatchObject({
      status: 'down',
      problems: [
        { problem: 'reply reader stopped', stream: base.resStream, shardId: 'shardId-000000000000' },
      ],
    });
  }, 60_000);

  it("reports a Seneca client's reply reader (one per topic)", async () => {
    const base = await streams('kinesalite');
    const caller = await startClient({ ...base, protocol: 'seneca' }); // the seneca_any topic, read from connect
    running.push(caller.app);
    expect(caller.client.health()).toMatchObject({
      kind: 'client',
      status: 'connected',
      pendingCalls: 0,
      replyReaders: [{ stream: base.resStream, shardId: 'shardId-000000000000', throttleStreak: 0 }],
    });
    expect(await check(caller.client)).toMatchObject({ status: 'up', problems: [] });
    await caller.client.close();
    expect(await check(caller.client)).toMatchObject({ status: 'down', replyReaders: [] });
  });

  it('is down while reads are throttled more times in a row than maxThrottleStreak; a read resets it', async () => {
    const base = await streams('kinesalite');
    const awsClient = kinesisClient('kinesalite'); // its own: the faults are injected into it
    running.push({ close: async () => awsClient.destroy() });
    let throttling = false;
    injectFaults(awsClient, {
      GetRecords: async ({ send }) => {
        if (throttling) throw serviceError('ProvisionedThroughputExceededException');
        return send();
      },
    });
    const { server } = await serve({ ...base, awsClient });
    const shard = () => server.health().consumers[0].shards[0];
    await eventually(() => shard()?.lastReadAt !== undefined, { message: 'the first read' });
    expect(await check(server, { maxThrottleStreak: 2 })).toMatchObject({ status: 'up' });

    throttling = true;
    await eventually(() => shard().throttleStreak > 2, { message: 'three throttled reads in a row' });
    expect(await check(server, { maxThrottleStreak: 2 })).toMatchObject({
      status: 'down',
      problems: [
        {
          shardId: 'shardId-000000000000',
          problem: 'throttled',
          detail: expect.stringMatching(/^\d+ throttled reads in a row > 2$/),
        },
      ],
    });

    throttling = false;
    await eventually(() => shard().throttleStreak === 0, { message: 'a successful read' });
    expect(await check(server, { maxThrottleStreak: 2 })).toMatchObject({ status: 'up' });
  }, 60_000);
});
