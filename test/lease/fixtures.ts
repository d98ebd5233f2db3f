/** In-process lease workers and a steady writer, for the lease suites. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Consumer,
  silentLogger,
  type ConsumerOptions,
  type RecordProcessor,
} from '../../libs/kinesis/src/index.js';
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

/** Puts `batch` records every `pauseMs` until stopped; data `k<key>:<n>` with n counting up from 0. */
export function startWriter(
  kinesis: KinesisClient,
  streamName: string,
  { batch = 20, pauseMs = 50, keys = 97 } = {},
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
