import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { ensureActive } from './ensure-active.js';
import { StreamNotActiveError } from './errors.js';

export interface EnsureStreamOptions {
  /** Default: `AWS_KINESIS_SHARDS`, else 2. Used only when the stream is created. */
  shardCount?: number;
  /** Bound on the wait for ACTIVE, ms (default 60 s; AWS usually takes 10-30 s). */
  timeoutMs?: number;
  /** Describe interval while waiting, ms. */
  pollMs?: number;
}

export interface StreamDescription {
  streamName: string;
  streamArn?: string;
  status: string;
  openShardCount?: number;
  created: boolean;
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
  return {
    streamName,
    streamArn: description.StreamARN,
    status,
    openShardCount: description.OpenShardCount,
    created,
  };
}
