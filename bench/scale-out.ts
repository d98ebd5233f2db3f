/**
 * Issue 6's benchmark, in one run: RPC latency through enhanced fan-out next to polling on kinesis-local (the
 * emulator that has SubscribeToShard), and, with DynamoDB leases (dynalite) on a 6-shard kinesalite stream, the
 * time for 3 workers to settle at 2 shards each and to recover the shards of a worker killed with SIGKILL, with
 * the default lease timings (failover 10 s, as the KCL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  Consumer,
  createKinesisClient,
  ensureStream,
  leaseTableName,
  measureSettle,
  silentLogger,
  type FanOutOptions,
} from '../libs/kinesis/src/index.js';
import { startDynalite, startKinesalite, startKinesisLocal } from '../libs/local-aws/src/index.js';
import { ClientKinesis, ServerKinesis } from '../libs/transport/src/index.js';
import { formatNumber, printTable, type Row } from './table.js';
import { call, percentile, startRig } from './transport.js';

const CALLS = 15;
const FAILOVER_MS = 10_000;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const ms = (value: number) => formatNumber(value, 0);

/** Sequential RPC latency over kinesis-local, polling at the AWS floor (200 ms) or through enhanced fan-out. */
async function rpcLatency(
  endpoint: string,
  label: string,
  fanOut?: { server: FanOutOptions; client: FanOutOptions },
) {
  const admin = createKinesisClient({ endpoint, region: 'us-east-1', credentials });
  const streams = { actStream: `bench-efo-act-${label}`, resStream: `bench-efo-res-${label}` };
  await ensureStream(admin, streams.actStream, { shardCount: 1 });
  await ensureStream(admin, streams.resStream, { shardCount: 1 });
  admin.destroy();
  const common = { endpoint, region: 'us-east-1', credentials, ...streams, logger: silentLogger };
  const rig = await startRig(
    { strategy: new ServerKinesis({ ...common, pollIntervalMs: 200, fanOut: fanOut?.server }) },
    { customClass: ClientKinesis, options: { ...common, pollIntervalMs: 200, fanOut: fanOut?.client } },
  );
  try {
    for (let n = 0; n < 3; n++) await call(rig.client, 0, n); // warm-up: subscriptions established
    const latencies: number[] = [];
    for (let n = 0; n < CALLS; n++) latencies.push(await call(rig.client, 0, n));
    return latencies;
  } finally {
    await rig.close();
  }
}

interface LeaseRig {
  kinesisEndpoint: string;
  dynamoEndpoint: string;
  streamName: string;
  appName: string;
}

function inProcessWorker(rig: LeaseRig, workerId: string, dynamo: DynamoDBClient): Consumer {
  return new Consumer({
    client: createKinesisClient({ endpoint: rig.kinesisEndpoint, region: 'us-east-1', credentials }),
    streamName: rig.streamName,
    logger: silentLogger,
    leases: { dynamoClient: dynamo, appName: rig.appName, workerId, failoverTimeMs: FAILOVER_MS },
    processorFactory: () => ({
      initialize: () => undefined,
      processRecords: ({ checkpointer }) => checkpointer.checkpoint(),
      leaseLost: () => undefined,
      shardEnded: ({ checkpointer }) => checkpointer.checkpoint(),
      shutdownRequested: ({ checkpointer }) => checkpointer.checkpoint(),
    }),
  });
}

/** A worker in a child process (the test suite's lease worker on the built core), so it can be SIGKILLed. */
function childWorker(rig: LeaseRig, workerId: string): ChildProcess {
  return spawn(process.execPath, [resolve('test/lease/lease-worker.mjs')], {
    env: {
      ...process.env,
      KINESIS_LIB: resolve('dist/libs/kinesis/src'),
      KINESIS_ENDPOINT: rig.kinesisEndpoint,
      DYNAMO_ENDPOINT: rig.dynamoEndpoint,
      STREAM_NAME: rig.streamName,
      APP_NAME: rig.appName,
      WORKER_ID: workerId,
      FAILOVER_MS: String(FAILOVER_MS),
      TAKE_INTERVAL_MS: String(FAILOVER_MS / 2),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function leaseTimes() {
  const [kinesalite, dynalite] = await Promise.all([startKinesalite(), startDynalite()]);
  const rig: LeaseRig = {
    kinesisEndpoint: kinesalite.endpoint,
    dynamoEndpoint: dynalite.endpoint,
    streamName: 'bench-leases',
    appName: 'bench',
  };
  const admin = createKinesisClient({ endpoint: rig.kinesisEndpoint, region: 'us-east-1', credentials });
  await ensureStream(admin, rig.streamName, { shardCount: 6 });
  admin.destroy();
  const dynamo = new DynamoDBClient({
    endpoint: rig.dynamoEndpoint,
    region: 'us-east-1',
    credentials,
    requestHandler: new NodeHttpHandler(),
  });
  const tableName = leaseTableName(rig.appName, rig.streamName);
  const workers = [inProcessWorker(rig, 'w1', dynamo), inProcessWorker(rig, 'w2', dynamo)];
  const startedAt = Date.now();
  const child = childWorker(rig, 'w3');
  try {
    await Promise.all(workers.map((w) => w.start()));
    const settle = await measureSettle({
      dynamoClient: dynamo,
      tableName,
      workers: ['w1', 'w2', 'w3'],
      startedAt,
    });
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const recovery = await measureSettle({
      dynamoClient: dynamo,
      tableName,
      workers: ['w1', 'w2'],
      startedAt: killedAt,
    });
    return { settle, recovery };
  } finally {
    child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.stop()));
    dynamo.destroy();
    await Promise.all([kinesalite.stop(), dynalite.stop()]);
  }
}

export async function benchScaleOut(): Promise<void> {
  const kinesisLocal = await startKinesisLocal();
  let polling: number[];
  let fanOut: number[];
  try {
    polling = await rpcLatency(kinesisLocal.endpoint, 'polling');
    fanOut = await rpcLatency(kinesisLocal.endpoint, 'fan-out', {
      server: { consumerName: 'bench-server' },
      client: { consumerName: 'bench-client' },
    });
  } finally {
    await kinesisLocal.stop();
  }
  const rpcRow = (mode: string, latencies: number[], note: string): Row => ({
    mode,
    calls: latencies.length,
    'p50 ms': ms(percentile(latencies, 50)),
    'p99 ms': ms(percentile(latencies, 99)),
    note,
  });
  printTable('RPC over kinesis-local (1+1 shards, sequential calls): enhanced fan-out next to polling', [
    rpcRow('polling, 200 ms interval (the AWS floor)', polling, ''),
    rpcRow(
      'enhanced fan-out (SubscribeToShard)',
      fanOut,
      `ratio to polling ${formatNumber(percentile(fanOut, 50) / percentile(polling, 50), 2)}; kinesis-local pushes events ~once a second (AWS: ~70 ms)`,
    ),
  ]);

  const { settle, recovery } = await leaseTimes();
  const owners = (a: { owners: Record<string, string[]> }) =>
    Object.entries(a.owners)
      .map(([w, shards]) => `${w}:${shards.length}`)
      .join(' ');
  printTable(`Leases (dynalite), 6 shards, failover ${FAILOVER_MS / 1000} s (default)`, [
    {
      event: '3 workers start together, until 2 shards each',
      'time s': formatNumber(settle.elapsedMs / 1000, 1),
      leases: owners(settle.assignment),
    },
    {
      event: 'worker w3 SIGKILLed, until its shards are held by the others',
      'time s': formatNumber(recovery.elapsedMs / 1000, 1),
      leases: owners(recovery.assignment),
    },
  ]);
}
