/** What the Nest pipeline suites share: one-shard streams (events in order), a service and callers on them. */
import type { DynamicModule, ExceptionFilter, INestApplicationContext, Type } from '@nestjs/common';
import { ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import {
  ServerKinesis,
  type ClientKinesis,
  type ClientKinesisOptions,
} from '../../libs/transport/src/index.js';
import { startClient, startMicroservice, type RunningService } from '../transport/fixtures.js';
import { kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';

export interface StreamPair {
  endpoint: string;
  region: string;
  actStream: string;
  resStream: string;
}

/**
 * A fresh act and res stream of one shard each on kinesalite: with the server's default concurrency of 1, records
 * are handled in the order they were written, so an event written after another is handled after it.
 */
export async function oneShardStreams(prefix: string): Promise<StreamPair> {
  const streams = {
    endpoint: kinesisEndpoint('kinesalite'),
    region: 'us-east-1',
    actStream: uniqueName(`${prefix}-act`),
    resStream: uniqueName(`${prefix}-res`),
  };
  const admin = kinesisClient('kinesalite');
  await ensureStream(admin, streams.actStream, { shardCount: 1 });
  await ensureStream(admin, streams.resStream, { shardCount: 1 });
  admin.destroy();
  return streams;
}

/** `module` served as a Nest microservice on `streams`, with `filters` as global exception filters. */
export function serve(
  module: Type | DynamicModule,
  streams: StreamPair,
  ...filters: ExceptionFilter[]
): Promise<RunningService> {
  const server = new ServerKinesis({ ...streams, pollIntervalMs: 50, logger: silentLogger });
  return startMicroservice(module, server, ...filters);
}

/** A caller on `streams` (a ClientKinesis from ClientsModule); `options` e.g. its partitionBy. */
export function caller(
  streams: StreamPair,
  options: ClientKinesisOptions = {},
): Promise<{ app: INestApplicationContext; client: ClientKinesis }> {
  return startClient({ ...streams, timeoutMs: 15_000, ...options });
}

export { type RunningService };
