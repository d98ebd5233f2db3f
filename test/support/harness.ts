/**
 * What every suite needs: the shared local endpoints (started once by global-setup), clients for them,
 * and unique names so suites can run in parallel against the same emulators.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '../../libs/kinesis/src/client.js';
import { createS3rverClient } from '../../libs/local-aws/src/index.js';

export type KinesisEmulator = 'kinesalite' | 'kinesis-local';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: run the suites through jest (test/support/global-setup.js)`);
  return value;
}

export function kinesisEndpoint(emulator: KinesisEmulator): string {
  return requireEnv(emulator === 'kinesalite' ? 'KINESALITE_ENDPOINT' : 'KINESIS_LOCAL_ENDPOINT');
}

/** Core suites run against both emulators: `describe.each(KINESIS_EMULATORS)`. */
export const KINESIS_EMULATORS: KinesisEmulator[] = ['kinesalite', 'kinesis-local'];

export function kinesisClient(emulator: KinesisEmulator): KinesisClient {
  return createKinesisClient({ endpoint: kinesisEndpoint(emulator), region: 'us-east-1', credentials });
}

export function dynamoClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: requireEnv('DYNALITE_ENDPOINT'),
    region: 'us-east-1',
    credentials,
    requestHandler: new NodeHttpHandler(),
  });
}

export function s3Client(): S3Client {
  return createS3rverClient(requireEnv('S3RVER_ENDPOINT'));
}

export const redisUrl = (): string => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const databaseUrl = (): string =>
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A name no other test (in this run or a parallel one) uses: streams, tables, key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Polls `predicate` until it holds; fails with `message` after `timeoutMs`. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, intervalMs = 50, message = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
