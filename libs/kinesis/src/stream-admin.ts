import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  StartStreamEncryptionCommand,
  type KinesisClient,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis';
import { sleep } from './backoff.js';
import { ensureActive } from './ensure-active.js';
import { KinesisError, StreamNotActiveError } from './errors.js';

export interface EnsureStreamOptions {
  /** Default: `AWS_KINESIS_SHARDS`, else 2. Used only when the stream is created. */
  shardCount?: number;
  /** Bound on the wait for ACTIVE, ms (default 60 s; AWS usually takes 10-30 s). */
  timeoutMs?: number;
  /** Describe interval while waiting, ms. */
  pollMs?: number;
  /**
   * Server-side encryption with this KMS key (id, ARN, alias name or alias ARN), also for a stream that exists:
   * StartStreamEncryption once the stream is ACTIVE, then a wait for ACTIVE again. Nothing is called when the
   * stream is already encrypted with this key. Writers then need kms:GenerateDataKey and readers kms:Decrypt on
   * the key (see docs/iam).
   */
  encryption?: { keyId: string };
}

export interface StreamDescription {
  streamName: string;
  streamArn?: string;
  status: string;
  openShardCount?: number;
  created: boolean;
  /** `NONE` or `KMS`, as DescribeStreamSummary reports it (absent when the endpoint does not say). */
  encryptionType?: string;
  keyId?: string;
}

/** StartStreamEncryption failed (the endpoint does not support it, the key is unknown or not usable). */
export class StreamEncryptionError extends KinesisError {
  constructor(
    readonly streamName: string,
    readonly keyId: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`could not encrypt stream "${streamName}" with KMS key "${keyId}": ${reason}`, { cause });
  }
}

export function resolveShardCount(shardCount?: number, env: NodeJS.ProcessEnv = process.env): number {
  const value = shardCount ?? (env.AWS_KINESIS_SHARDS ? Number(env.AWS_KINESIS_SHARDS) : 2);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `shard count must be a positive integer, got ${String(shardCount ?? env.AWS_KINESIS_SHARDS)}`,
    );
  }
  return value;
}

/**
 * Creates the stream when absent and waits until it is ACTIVE. Safe to call from several processes at once:
 * a concurrent creation (ResourceInUseException) is treated as success, and everyone waits for ACTIVE.
 */
export async function ensureStream(
  client: KinesisClient,
  streamName: string,
  options: EnsureStreamOptions = {},
): Promise<StreamDescription> {
  const { timeoutMs = 60_000, pollMs = 250 } = options;
  const { description, status, created } = await ensureActive(
    {
      describe: async () =>
        (await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName })))
          .StreamDescriptionSummary,
      isMissing: (error) => error instanceof ResourceNotFoundException,
      statusOf: (summary) => summary.StreamStatus,
      create: () =>
        client.send(
          new CreateStreamCommand({
            StreamName: streamName,
            ShardCount: resolveShardCount(options.shardCount),
          }),
        ),
      isAlreadyCreated: (error) => error instanceof ResourceInUseException,
    },
    {
      timeoutMs,
      delayMs: (_attempt, remainingMs) => Math.min(pollMs, remainingMs),
      timeoutError: (lastStatus, waitedMs) => new StreamNotActiveError(streamName, lastStatus, waitedMs),
    },
  );
  const summary = options.encryption
    ? await encryptStream(client, streamName, options.encryption.keyId, { timeoutMs, pollMs })
    : { ...description, StreamStatus: status };
  return {
    streamName,
    streamArn: summary.StreamARN,
    status: summary.StreamStatus ?? status,
    openShardCount: summary.OpenShardCount,
    created,
    encryptionType: summary.EncryptionType,
    keyId: summary.KeyId,
  };
}

const isEncryptedWith = (summary: StreamDescriptionSummary, keyId: string) =>
  summary.EncryptionType === 'KMS' && summary.KeyId === keyId;

/**
 * Encrypts the stream with `keyId` unless it already is. StartStreamEncryption needs an ACTIVE stream (a reshard
 * or another process's encryption leaves it UPDATING: we wait, then look again).
 */
async function encryptStream(
  client: KinesisClient,
  streamName: string,
  keyId: string,
  wait: { timeoutMs: number; pollMs: number },
): Promise<StreamDescriptionSummary> {
  for (let attempt = 0; ; attempt++) {
    const summary = await waitForActive(client, streamName, wait);
    if (isEncryptedWith(summary, keyId)) return summary;
    try {
      await client.send(
        new StartStreamEncryptionCommand({ StreamName: streamName, EncryptionType: 'KMS', KeyId: keyId }),
      );
    } catch (error) {
      // Another process changed the stream meanwhile: wait for it to settle, then look again (once).
      if (error instanceof ResourceInUseException && attempt === 0) continue;
      throw new StreamEncryptionError(streamName, keyId, error);
    }
    const encrypted = await waitForActive(client, streamName, wait);
    if (isEncryptedWith(encrypted, keyId)) return encrypted;
    const reported = `${encrypted.EncryptionType ?? 'unknown'} with key ${encrypted.KeyId ?? 'none'}`;
    throw new StreamEncryptionError(streamName, keyId, new Error(`the stream reports ${reported}`));
  }
}

async function waitForActive(
  client: KinesisClient,
  streamName: string,
  { timeoutMs, pollMs }: { timeoutMs: number; pollMs: number },
): Promise<StreamDescriptionSummary> {
  const started = Date.now();
  for (;;) {
    const summary = (await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName })))
      .StreamDescriptionSummary!;
    if (summary.StreamStatus === 'ACTIVE') return summary;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw new StreamNotActiveError(streamName, summary.StreamStatus, waited);
    await sleep(Math.min(pollMs, timeoutMs - waited));
  }
}
