import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { sleep } from './backoff.js';
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

async function describe(client: KinesisClient, streamName: string) {
  try {
    const { StreamDescriptionSummary: s } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: streamName }),
    );
    return s;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
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
  let created = false;
  let summary = await describe(client, streamName);
  if (!summary) {
    try {
      await client.send(
        new CreateStreamCommand({
          StreamName: streamName,
          ShardCount: resolveShardCount(options.shardCount),
        }),
      );
      created = true;
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  const started = Date.now();
  for (;;) {
    summary = await describe(client, streamName);
    // UPDATING streams accept reads and writes (a reshard in progress).
    if (summary?.StreamStatus === 'ACTIVE' || summary?.StreamStatus === 'UPDATING') {
      return {
        streamName,
        streamArn: summary.StreamARN,
        status: summary.StreamStatus,
        openShardCount: summary.OpenShardCount,
        created,
      };
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw new StreamNotActiveError(streamName, summary?.StreamStatus, waited);
    await sleep(Math.min(pollMs, timeoutMs - waited));
  }
}
