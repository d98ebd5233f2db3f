import type { KinesisClient as AwsKinesisClient } from '@aws-sdk/client-kinesis';
import type { Deserializer, Serializer } from '@nestjs/microservices';
import {
  ensureStream,
  type CheckpointStore,
  type KinesisClientOptions,
  type Logger,
  type StartPosition,
} from '../../kinesis/src/index.js';

/** What both sides share: where Kinesis is and which streams carry requests and replies. */
export interface KinesisTransportOptions extends KinesisClientOptions {
  /** Requests and events. Default `act`. */
  actStream?: string;
  /** Replies. Default `res`. */
  resStream?: string;
  /** Create missing streams with these shard counts (off by default: streams are infrastructure). */
  createStreams?: { act?: number; res?: number } | boolean;
  /** An AWS client to use instead of creating one (it is not destroyed on close). */
  awsClient?: AwsKinesisClient;
  serializer?: Serializer;
  deserializer?: Deserializer;
  /** Core-library logger (warnings of the producer and consumer). Default: Nest's logger. */
  logger?: Logger;
}

export interface KinesisServerOptions extends KinesisTransportOptions {
  /** The service's name in logs (`KinesisServer:<appName>`); name your checkpoint store's app the same. Default `nest-kinesis`. */
  appName?: string;
  checkpointStore?: CheckpointStore;
  /** For shards with no checkpoint. Default TRIM_HORIZON: requests sent before the server started are served. */
  startPosition?: StartPosition;
  /** GetRecords interval per shard, ms (default 200). */
  pollIntervalMs?: number;
  /** Handlers running at once per shard (default 1: in order). Shards always run concurrently. */
  concurrency?: number;
  /** How long close() waits for handlers in flight, ms (default 10 s). */
  closeGracePeriodMs?: number;
  /** A request id seen within this window is not handled twice, ms (default 10 min; at most `dedupeMaxEntries`). */
  dedupeWindowMs?: number;
  dedupeMaxEntries?: number;
  /** Linger of the reply producer, ms (default 0: replies go out at once). */
  replyLingerMs?: number;
  /**
   * KPL-aggregate replies bound for one shard (default false). Many replies then cost one Kinesis record: far
   * more calls per second under load. Every reader of the reply stream must deaggregate (ours do).
   */
  replyAggregation?: boolean;
}

export type PartitionBy = 'spread' | 'pattern' | ((packet: { pattern: string; data: unknown }) => string);

export interface KinesisClientProxyOptions extends KinesisTransportOptions {
  /** Default deadline of a request, ms (default 30 s). The caller gets RequestTimeoutError. */
  timeoutMs?: number;
  /** Request partition key: `spread` (default, random), `pattern` (ordered per pattern), or a function. */
  partitionBy?: PartitionBy;
  /** GetRecords interval on the reply shard, ms (default 200). */
  pollIntervalMs?: number;
  /** Linger of the request producer, ms (default 0). */
  lingerMs?: number;
  /** KPL-aggregate requests bound for one shard (default false); every reader of the act stream must deaggregate. */
  aggregation?: boolean;
}

export const DEFAULT_ACT_STREAM = 'act';
export const DEFAULT_RES_STREAM = 'res';

export function streamShardCounts(createStreams: KinesisTransportOptions['createStreams']) {
  if (!createStreams) return undefined;
  return createStreams === true ? {} : createStreams;
}

/** Creates the act and res streams when `createStreams` asks for it (idempotent, safe from several processes). */
export async function createStreamsIfAsked(
  client: AwsKinesisClient,
  options: KinesisTransportOptions,
): Promise<void> {
  const shardCounts = streamShardCounts(options.createStreams);
  if (!shardCounts) return;
  await ensureStream(client, options.actStream ?? DEFAULT_ACT_STREAM, { shardCount: shardCounts.act });
  await ensureStream(client, options.resStream ?? DEFAULT_RES_STREAM, { shardCount: shardCounts.res });
}
