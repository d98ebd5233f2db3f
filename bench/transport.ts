/**
 * The transporter benchmark, in one run: RPC p50/p99 latency and requests/s at 1 and 64 concurrent callers
 * over kinesalite with the poll interval at its floor, next to Nest's built-in NATS and Redis transporters,
 * and the emulator's own put-to-get latency floor.
 * Targets: p50 at 1 caller <= 2 x floor + 5 ms; requests/s at 64 callers >= 25% of the Redis transporter's.
 *
 * kinesalite runs in its own process (as nats-server and Redis do); each transport's microservice
 * and its client (the Kinesis server and client each with their own AWS client, as two processes would).
 */
import 'reflect-metadata';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientsModule,
  MessagePattern,
  Payload,
  Transport,
  type ClientProvider,
  type ClientProviderOptions,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { createKinesisClient, ensureStream, listShards, silentLogger } from '../libs/kinesis/src/index.js';
import { ClientKinesis, ServerKinesis } from '../libs/transport/src/index.js';
import { formatNumber, printTable, type Row } from './table.js';

/** One pattern per run: a concurrent run or test on the same nats-server or Redis cannot cross-talk. */
export const PATTERN = `bench.echo.${process.pid}`;
const NATS = { servers: ['nats://127.0.0.1:4222'] };
const REDIS = { host: '127.0.0.1', port: 6379 };
/** ~100 bytes of JSON: {"caller":12,"n":345,"text":"xx...x"}. */
const TEXT = 'x'.repeat(72);
const WARMUP_CALLS = 50;
const SEQUENTIAL_CALLS = 300;
const CALLERS = 64;
const CONCURRENT_MS = 4_000;
const FLOOR_SAMPLES = 100;
/**
 * Both poll loops at the floor: at most one GetRecords per 2 ms per shard (start to start). kinesalite has no
 * read limit, so the floor is where polling more often stops helping: back-to-back polling (0 ms, also in the
 * table) spends the process on empty GetRecords (~1 ms of CPU per HTTP call on these machines, 230 us of it in
 * the socket write alone), which costs latency and throughput alike. Measured on this machine, poll 0 / 2 / 4 ms:
 * p50 at 1 caller 7.2 / 5.8-6.3 / 6.5-6.9 ms, 64 callers 6.1-6.4k / 6.7-7.0k / 6.8-7.2k req/s.
 */
const POLL_INTERVAL_MS = 2;

@Controller()
class EchoController {
  @MessagePattern(PATTERN)
  echo(@Payload() data: unknown): unknown {
    return data;
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

const CALLER = 'BENCH_CALLER';

export interface Rig {
  client: ClientProxy;
  close(): Promise<void>;
}

/** A microservice and a client the way a Nest app has them: createMicroservice, ClientsModule.register. */
export async function startRig(server: MicroserviceOptions, caller: ClientProvider): Promise<Rig> {
  const service = await NestFactory.createMicroservice<MicroserviceOptions>(EchoModule, {
    ...server,
    logger: false,
  });
  await service.listen();
  @Module({ imports: [ClientsModule.register([{ name: CALLER, ...caller } as ClientProviderOptions])] })
  class CallerModule {}
  const context = await NestFactory.createApplicationContext(CallerModule, { logger: false });
  const client = context.get<ClientProxy>(CALLER);
  await client.connect();
  return {
    client,
    close: async () => {
      await context.close(); // closes the client: ClientsModule's shutdown hook
      await service.close();
    },
  };
}

interface KinesisRig extends Rig {
  /** GetRecords calls made so far by both sides. */
  getRecordsCalls(): number;
}

/** Counts an AWS client's GetRecords calls. */
function countGetRecords(client: KinesisClient): () => number {
  let count = 0;
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'GetRecordsCommand') count++;
      return next(args);
    },
    { step: 'initialize', name: 'benchGetRecordsCounter' },
  );
  return () => count;
}

async function startKinesisRig(
  endpoint: string,
  streams: { act: string; res: string },
  concurrency: number,
  aggregation: boolean,
  pollIntervalMs = POLL_INTERVAL_MS,
): Promise<KinesisRig> {
  const serverAws = createKinesisClient({ endpoint, region: 'us-east-1' });
  const clientAws = createKinesisClient({ endpoint, region: 'us-east-1' });
  const counters = [countGetRecords(serverAws), countGetRecords(clientAws)];
  const rig = await startRig(
    {
      strategy: new ServerKinesis({
        awsClient: serverAws,
        actStream: streams.act,
        resStream: streams.res, // replies go only to the server's resStream (and replyStreams)
        pollIntervalMs,
        replyLingerMs: 0,
        replyAggregation: aggregation,
        concurrency,
        logger: silentLogger,
      }),
    },
    {
      customClass: ClientKinesis,
      options: {
        awsClient: clientAws,
        actStream: streams.act,
        resStream: streams.res,
        pollIntervalMs,
        lingerMs: 0,
        aggregation,
        logger: silentLogger,
      },
    },
  );
  return {
    ...rig,
    getRecordsCalls: () => counters.reduce((sum, count) => sum + count(), 0),
    close: async () => {
      await rig.close();
      serverAws.destroy();
      clientAws.destroy();
    },
  };
}

interface Sample {
  latencies: number[];
  seconds: number;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const perSecond = (s: Sample) => s.latencies.length / s.seconds;

export async function call(client: ClientProxy, caller: number, n: number): Promise<number> {
  const started = performance.now();
  const reply = (await lastValueFrom(client.send(PATTERN, { caller, n, text: TEXT }))) as { n?: number };
  const elapsed = performance.now() - started;
  if (reply?.n !== n)
    throw new Error(`caller ${caller} call ${n}: unexpected reply ${JSON.stringify(reply)}`);
  return elapsed;
}

async function sequential(client: ClientProxy, calls: number): Promise<Sample> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let n = 0; n < calls; n++) latencies.push(await call(client, 0, n));
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** `callers` loops, each calling back-to-back until `ms` have passed; calls then in flight finish and count. */
async function concurrent(client: ClientProxy, callers: number, ms: number): Promise<Sample> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + ms;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let n = 0; performance.now() < until; n++) latencies.push(await call(client, caller, n));
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

interface Measured {
  one?: Sample;
  many: Sample;
}

async function measure(rig: Rig, { sequentialToo = true } = {}): Promise<Measured> {
  for (let n = 0; n < WARMUP_CALLS; n++) await call(rig.client, 0, n);
  await Promise.all(Array.from({ length: CALLERS }, (_, caller) => call(rig.client, caller, 0)));
  const one = sequentialToo ? await sequential(rig.client, SEQUENTIAL_CALLS) : undefined;
  const many = await concurrent(rig.client, CALLERS, CONCURRENT_MS);
  return { one, many };
}

async function withRig<T>(rig: Rig, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await rig.close();
  }
}

const ms = (value: number) => formatNumber(value, 2);

function rows(transport: string, m: Measured, notes: { one?: string; many?: string } = {}): Row[] {
  const row = (callers: number, s: Sample, note = ''): Row => ({
    transport,
    callers,
    calls: s.latencies.length,
    'p50 ms': ms(percentile(s.latencies, 50)),
    'p99 ms': ms(percentile(s.latencies, 99)),
    'req/s': formatNumber(perSecond(s)),
    note,
  });
  return [...(m.one ? [row(1, m.one, notes.one)] : []), row(CALLERS, m.many, notes.many)];
}

/**
 * The emulator's put-to-get floor: a LATEST iterator taken before the put, a GetRecords loop running
 * back-to-back while one PutRecord goes out; the time from the put until a GetRecords returns the record.
 */
async function putToGetFloor(client: KinesisClient, streamName: string): Promise<number[]> {
  await ensureStream(client, streamName, { shardCount: 1 });
  const [{ shardId }] = await listShards(client, streamName);
  const samples: number[] = [];
  for (let i = -10; i < FLOOR_SAMPLES; i++) {
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'LATEST' }),
    );
    const marker = `floor-${i}`;
    const started = performance.now();
    const read = (async () => {
      for (let iterator = ShardIterator; iterator;) {
        const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
        if (out.Records?.some((r) => Buffer.from(r.Data!).toString() === marker)) return performance.now();
        iterator = out.NextShardIterator;
      }
      throw new Error('shard closed');
    })();
    await client.send(
      new PutRecordCommand({ StreamName: streamName, Data: Buffer.from(marker), PartitionKey: 'k' }),
    );
    const seen = await read;
    if (i >= 0) samples.push(seen - started); // the first 10 warm up
  }
  return samples;
}

/**
 * What idle poll loops cost: GetRecords/s of both sides, this thread's event loop utilization, and how late
 * timers fire (a loop spinning on microtasks would starve them; I/O-bound loops do not).
 */
async function idleCost(rig: KinesisRig) {
  const calls = rig.getRecordsCalls();
  const elu = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  return {
    getsPerSecond: (rig.getRecordsCalls() - calls) / seconds,
    utilization: performance.eventLoopUtilization(elu).utilization,
    delayP50: delay.percentile(50) / 1e6,
    delayP99: delay.percentile(99) / 1e6,
  };
}

export async function benchTransport(client: KinesisClient, endpoint: string): Promise<void> {
  const started = performance.now();
  const floorSamples = await putToGetFloor(client, 'bench-floor');
  const floor = percentile(floorSamples, 50);

  // Fresh streams for every rig: a server starts at TRIM_HORIZON and would first serve the previous rig's requests.
  const streams = async (label: string, shards: number) => {
    const names = { act: `bench-act-${label}`, res: `bench-res-${label}` };
    await ensureStream(client, names.act, { shardCount: shards });
    await ensureStream(client, names.res, { shardCount: shards });
    return names;
  };
  // Headline: 1 shard each, handlers run concurrently (as Nest's NATS and Redis servers do), requests and
  // replies KPL-aggregated (many calls share one Kinesis record under load).
  const main = await startKinesisRig(endpoint, await streams('main', 1), CALLERS, true);
  const { idle, kinesis } = await withRig(main, async () => ({
    idle: await idleCost(main),
    kinesis: await measure(main),
  }));
  const backToBack = await startKinesisRig(endpoint, await streams('back-to-back', 1), CALLERS, true, 0);
  const kinesis0 = await withRig(backToBack, () => measure(backToBack));
  const plain = await startKinesisRig(endpoint, await streams('plain', 1), CALLERS, false);
  const kinesis2 = await withRig(plain, () => measure(plain));
  const inOrder = await startKinesisRig(endpoint, await streams('in-order', 1), 1, true);
  const kinesisInOrder = await withRig(inOrder, () => measure(inOrder, { sequentialToo: false }));

  const nats = await startRig(
    { transport: Transport.NATS, options: NATS },
    { transport: Transport.NATS, options: NATS },
  );
  const natsM = await withRig(nats, () => measure(nats));
  const redis = await startRig(
    { transport: Transport.REDIS, options: REDIS },
    { transport: Transport.REDIS, options: REDIS },
  );
  const redisM = await withRig(redis, () => measure(redis));

  const p50 = percentile(kinesis.one!.latencies, 50);
  const latencyTarget = 2 * floor + 5;
  const share = perSecond(kinesis.many) / perSecond(redisM.many);
  const share2 = perSecond(kinesis2.many) / perSecond(redisM.many);
  const shareInOrder = perSecond(kinesisInOrder.many) / perSecond(redisM.many);
  const percent = (x: number) => `${formatNumber(x * 100, 1)}% of Redis`;
  const table: Row[] = [
    {
      transport: 'kinesalite put-to-get floor',
      callers: 1,
      calls: floorSamples.length,
      'p50 ms': ms(floor),
      'p99 ms': ms(percentile(floorSamples, 99)),
      'req/s': '',
      note: 'PutRecord, back-to-back GetRecords (LATEST iterator taken before)',
    },
    ...rows('Kinesis, 1+1 shards, concurrency 64, aggregated', kinesis, {
      one: `target 2 x floor + 5 = ${ms(latencyTarget)} ms`,
      many: percent(share),
    }),
    ...rows('Kinesis, as above, poll 0 ms (back-to-back)', kinesis0, {
      many: percent(perSecond(kinesis0.many) / perSecond(redisM.many)),
    }),
    ...rows('Kinesis, 1+1 shards, concurrency 64, not aggregated', kinesis2, { many: percent(share2) }),
    ...rows('Kinesis, 1+1 shards, concurrency 1, aggregated', kinesisInOrder, {
      many: `${percent(shareInOrder)}; server default: one handler at a time per shard`,
    }),
    ...rows('NATS (nats-server 127.0.0.1:4222)', natsM),
    ...rows('Redis (127.0.0.1:6379)', redisM),
  ];
  printTable(
    `Transporters, RPC echo of ~100 bytes, Kinesis poll interval ${POLL_INTERVAL_MS} ms (server and client)`,
    table,
  );
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  console.log(
    `\ntarget 1: Kinesis p50 at 1 caller ${ms(p50)} ms <= 2 x ${ms(floor)} + 5 = ${ms(latencyTarget)} ms ` +
      `(ratio ${formatNumber(p50 / latencyTarget, 2)}): ${verdict(p50 <= latencyTarget)}`,
  );
  console.log(
    `target 2: Kinesis req/s at ${CALLERS} callers ${formatNumber(perSecond(kinesis.many))} >= 25% of Redis ` +
      `${formatNumber(perSecond(redisM.many))} (ratio ${formatNumber(share * 100, 1)}%): ${verdict(share >= 0.25)}`,
  );
  console.log(
    `idle Kinesis rig (1+1 shards, poll ${POLL_INTERVAL_MS} ms): ${formatNumber(idle.getsPerSecond)} GetRecords/s ` +
      `(server + client), event loop utilization ${formatNumber(idle.utilization * 100)}% ` +
      `(kinesalite in its own process), event loop delay p50 ${ms(idle.delayP50)} ms, p99 ${ms(idle.delayP99)} ms`,
  );
  console.log(`transport section: ${formatNumber((performance.now() - started) / 1000, 1)} s`);
}
