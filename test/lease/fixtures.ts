/** In-process lease workers, a steady writer, and the set-up around them, for the lease suites. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Consumer,
  ensureStream,
  leaseTableName,
  measureSettle,
  silentLogger,
  type ConsumerOptions,
  type RecordProcessor,
  type SettleOptions,
  type SettleResult,
} from '../../libs/kinesis/src/index.js';
import {
  dynamoClient,
  eventually,
  kinesisClient,
  uniqueName,
  type KinesisEmulator,
} from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { Recorder, type RecordingOptions } from '../support/recording-processor.js';

export const FAILOVER_MS = 3_000;
export const TAKE_INTERVAL_MS = 500;

export interface LeaseWorker {
  workerId: string;
  consumer: Consumer;
  recorder: Recorder;
  /** Lease events of the consumer, in order. */
  events: Array<{ event: 'leaseTaken' | 'leaseLost' | 'leaseHandedOver'; shardId: string; at: number }>;
  errors: unknown[];
}

export interface LeaseWorkerOptions {
  kinesis: KinesisClient;
  dynamo: DynamoDBClient;
  streamName: string;
  appName: string;
  workerId: string;
  recording?: RecordingOptions;
  /** Wraps each recording processor (e.g. to hold a call back). */
  wrap?: (shardId: string, recording: RecordProcessor) => RecordProcessor;
  consumer?: Partial<ConsumerOptions>;
}

/** A Consumer with leases (failover 3 s, scans every 0.5 s), a Recorder for its processors, its events kept. */
export function leaseWorker(o: LeaseWorkerOptions): LeaseWorker {
  const recorder = new Recorder();
  const consumer = new Consumer({
    client: o.kinesis,
    streamName: o.streamName,
    processorFactory: (shardId) => {
      const recording = recorder.factory(o.recording)(shardId);
      return o.wrap ? o.wrap(shardId, recording) : recording;
    },
    pollIntervalMs: 50,
    maxRecordsPerCall: 25,
    logger: silentLogger,
    leases: {
      dynamoClient: o.dynamo,
      appName: o.appName,
      workerId: o.workerId,
      failoverTimeMs: FAILOVER_MS,
      takeIntervalMs: TAKE_INTERVAL_MS,
    },
    ...o.consumer,
  });
  const worker: LeaseWorker = { workerId: o.workerId, consumer, recorder, events: [], errors: [] };
  for (const event of ['leaseTaken', 'leaseLost', 'leaseHandedOver'] as const) {
    consumer.on(event, (shardId: string) => worker.events.push({ event, shardId, at: Date.now() }));
  }
  consumer.on('error', (error) => worker.errors.push(error));
  return worker;
}

export interface WriterOptions {
  batch?: number;
  pauseMs?: number;
  keys?: number;
}

export type Writer = ReturnType<typeof startWriter>;

/** Puts `batch` records every `pauseMs` until stopped; data `k<key>:<n>` with n counting up from 0. */
export function startWriter(
  kinesis: KinesisClient,
  streamName: string,
  { batch = 20, pauseMs = 50, keys = 97 }: WriterOptions = {},
) {
  let written = 0;
  let writing = true;
  const loop = (async () => {
    while (writing) {
      const records = Array.from({ length: batch }, () => {
        const n = written++;
        return { data: `k${n % keys}:${n}`, key: `k${n % keys}` };
      });
      await putRaw(kinesis, streamName, records);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    written: () => written,
    /** Resolves how many records were written. */
    async stop(): Promise<number> {
      writing = false;
      await loop;
      return written;
    },
  };
}

/** How many times each record was handled, over all workers. */
export function handledCounts(...handled: string[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const data of handled.flat()) counts.set(data, (counts.get(data) ?? 0) + 1);
  return counts;
}

export interface AwsClients {
  kinesis: KinesisClient;
  dynamo: DynamoDBClient;
}

/**
 * The suite's clients: Kinesis on `emulator` and DynamoDB (dynalite), made before the suite and destroyed after
 * it, once `beforeDestroy` (stopping what still uses them) is done.
 */
export function awsClients(
  emulator: KinesisEmulator = 'kinesalite',
  beforeDestroy?: () => Promise<unknown>,
): AwsClients {
  const clients = {} as AwsClients;
  beforeAll(() => {
    clients.kinesis = kinesisClient(emulator);
    clients.dynamo = dynamoClient();
  });
  afterAll(async () => {
    await beforeDestroy?.();
    clients.kinesis?.destroy();
    clients.dynamo?.destroy();
  });
  return clients;
}

/** A stream of one test and the app whose lease table holds its leases. */
export interface LeaseStream {
  streamName: string;
  appName: string;
  tableName: string;
}

/** A stream of `shardCount` shards (created) and an app of their own: `<prefix>-…` and `<appPrefix>-…`. */
export async function leaseStream(
  kinesis: KinesisClient,
  prefix: string,
  shardCount: number,
  appPrefix = 'app',
): Promise<LeaseStream> {
  const streamName = uniqueName(prefix);
  const appName = uniqueName(appPrefix);
  await ensureStream(kinesis, streamName, { shardCount });
  return { streamName, appName, tableName: leaseTableName(appName, streamName) };
}

type WorkerExtras = Pick<LeaseWorkerOptions, 'recording' | 'wrap' | 'consumer'>;

/** What a lease suite's tests share: the clients, and the current test's workers and writer (see leaseSuite). */
export class LeaseSuite {
  /** The current test's workers (see `worker`), stopped after it. */
  readonly workers: LeaseWorker[] = [];
  private writer: Writer | undefined;

  constructor(private readonly clients: AwsClients) {}

  get kinesis(): KinesisClient {
    return this.clients.kinesis;
  }

  get dynamo(): DynamoDBClient {
    return this.clients.dynamo;
  }

  /** A stream of its own (see leaseStream). */
  stream(prefix: string, shardCount: number): Promise<LeaseStream> {
    return leaseStream(this.kinesis, prefix, shardCount);
  }

  /** A leaseWorker on `stream`, kept in `workers`. */
  worker({ streamName, appName }: LeaseStream, workerId: string, extras: WorkerExtras = {}): LeaseWorker {
    const { kinesis, dynamo } = this;
    const worker = leaseWorker({ kinesis, dynamo, streamName, appName, workerId, ...extras });
    this.workers.push(worker);
    return worker;
  }

  /** The test's writer (startWriter) on `stream`, stopped after the test if it still writes. */
  write(stream: LeaseStream, options?: WriterOptions): Writer {
    this.writer = startWriter(this.kinesis, stream.streamName, options);
    return this.writer;
  }

  /** measureSettle on the lease table of `stream`. */
  settle(
    stream: LeaseStream,
    workers: SettleOptions['workers'],
    options: Pick<SettleOptions, 'startedAt' | 'timeoutMs'> = {},
  ): Promise<SettleResult> {
    return measureSettle({ dynamoClient: this.dynamo, tableName: stream.tableName, workers, ...options });
  }

  /** Every record the workers handled, once per handling. */
  handled(): string[] {
    return this.workers.flatMap((w) => w.recorder.datas());
  }

  /**
   * Stops the writer, then waits until every record it wrote was handled at least once (by the workers, or
   * in `elsewhere`). Resolves how many it wrote.
   */
  async allHandled({
    timeoutMs,
    elsewhere = [],
  }: { timeoutMs?: number; elsewhere?: string[] } = {}): Promise<number> {
    if (!this.writer) throw new Error('no writer: call write() first');
    const written = await this.writer.stop();
    await eventually(() => new Set([...elsewhere, ...this.handled()]).size >= written, {
      timeoutMs,
      message: `${written} records`,
    });
    return written;
  }

  /** Stops every worker: nothing more is handled. */
  async stopWorkers(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.consumer.stop()));
  }

  /** After each test: the writer and the workers stopped, forgotten. */
  async cleanUp(): Promise<void> {
    await this.writer?.stop().catch(() => undefined);
    this.writer = undefined;
    await Promise.all(this.workers.splice(0).map((w) => w.consumer.stop()));
  }
}

/** Registers the clients of a lease suite (see awsClients), and after each test stops its writer and workers. */
export function leaseSuite(emulator: KinesisEmulator = 'kinesalite'): LeaseSuite {
  const suite = new LeaseSuite(awsClients(emulator));
  afterEach(() => suite.cleanUp());
  return suite;
}
