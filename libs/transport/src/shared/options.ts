import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Deserializer, Serializer } from '@nestjs/microservices';
import {
  ensureStream,
  type CheckpointStore,
  type KinesisConnectionOptions,
  type LeaseOptions,
  type Logger,
  type StartPosition,
} from '../../kinesis/src/index.js';
import type { SigningOptions } from './signing.js';

/** What both sides share: where Kinesis is and which streams carry requests and replies. */
export interface KinesisTransportOptions extends KinesisConnectionOptions {
  /** Requests and events. Default `act`. */
  actStream?: string;
  /** Replies. Default `res`. */
  resStream?: string;
  /**
   * Create missing streams with these shard counts (off by default: streams are infrastructure). `kmsKeyId`:
   * encrypt both streams with this KMS key (also existing ones; see `ensureStream`'s `encryption`).
   */
  createStreams?: { act?: number; res?: number; kmsKeyId?: string } | boolean;
  /** An AWS client to use instead of creating one (it is not destroyed on close). */
  awsClient?: KinesisClient;
  serializer?: Serializer;
  deserializer?: Deserializer;
  /** Core-library logger (warnings of the producer and consumer). Default: Nest's logger. */
  logger?: Logger;
  /**
   * Envelope signing (native protocol): requests and events are signed by the client and verified by the server,
   * replies signed by the server and verified by the client. Off by default. See `SigningOptions`.
   */
  signing?: SigningOptions;
}

/** Which envelopes a server reads: `auto` (default) tells Seneca acts from native v1 envelopes by shape. */
export type ServerProtocol = 'auto' | 'native' | 'seneca';

export interface SenecaServerOptions {
  /**
   * Topics served (an act's partition key is `<topic>_act`). Default: `seneca_any` plus, for every object
   * pattern of the app, the topic of a Seneca client pinned exactly on it (e.g. `seneca_cmd_sum_role_math_`),
   * and, answered only when a handler matches, the topics of its key subsets (`seneca_role_math_`, ...).
   */
  topics?: string[];
  /**
   * Pins this server owns, as a Seneca listener pinned on them does: every act on their topics is answered,
   * act_not_found included (e.g. `[{ role: 'math' }]`). Not with `topics`.
   */
  pins?: Array<Record<string, unknown>>;
  /** `accept` of replies; an act whose track holds it is a loop. Default: one id per process (shared with clients). */
  instanceId?: string;
}

export interface SenecaClientOptions {
  /** Send to the topic of a Seneca client pinned on this (globs take the act's values, as seneca-transport). */
  pin?: Record<string, unknown>;
  /** Send to this topic (wins over `pin`). Default: from `pin`, else `seneca_any`. */
  topic?: string;
  /** `origin` of acts and the last entry of their track. Default: one id per process (shared with servers). */
  instanceId?: string;
  /** custom$ of every act (merged under the custom$ of the data and of the Seneca act being served). */
  custom?: Record<string, unknown>;
}

export interface ServerKinesisOptions extends KinesisTransportOptions {
  /** Envelopes read from the act stream (default `auto`: native v1 and Seneca, told apart by shape). */
  protocol?: ServerProtocol;
  /** Seneca interop (when `protocol` is `auto` or `seneca`). */
  seneca?: SenecaServerOptions;
  /** The service's name in logs (`ServerKinesis:<appName>`); name your checkpoint store's app the same. Default `nest-kinesis`. */
  appName?: string;
  /** Where each shard's progress is kept. Not with `leases` (the leases hold the checkpoints). */
  checkpointStore?: CheckpointStore;
  /**
   * Share the act stream's shards with the other instances of this service through a DynamoDB lease table
   * (the KCL's protocol): each instance reads only the shards it leases, a stopped or dead instance's shards
   * move to the others (after `failoverTimeMs`, default 10 s, when it died). Give every instance the same
   * `appName` (or `tableName`) and a distinct `workerId`. Not with `checkpointStore`.
   */
  leases?: LeaseOptions;
  /** For shards with no checkpoint. Default TRIM_HORIZON: requests sent before the server started are served. */
  startPosition?: StartPosition;
  /** GetRecords interval per shard, ms (default 200). */
  pollIntervalMs?: number;
  /** Read the act stream through enhanced fan-out instead of polling. */
  fanOut?: FanOutOptions;
  /** Handlers running at once per shard (default 1: in order). Shards always run concurrently. */
  concurrency?: number;
  /** How long close() waits for handlers in flight, ms (default 10 s). */
  closeGracePeriodMs?: number;
  /** A request id seen within this window is not handled twice, ms (default 10 min; at most `dedupeMaxEntries`). */
  dedupeWindowMs?: number;
  dedupeMaxEntries?: number;
  /**
   * Streams replies may go to besides `resStream` (default none). A request whose replyTo names any other
   * stream is not handled and not answered (stats.forbiddenReplyStream, a warning): whoever can write the act
   * stream must not make the server write elsewhere with its permissions.
   */
  replyStreams?: string[];
  /** Linger of the reply producer, ms (default 0: replies go out at once). */
  replyLingerMs?: number;
  /**
   * KPL-aggregate replies bound for one shard (default false). Many replies then cost one Kinesis record: far
   * more calls per second under load. Every reader of the reply stream must deaggregate (ours do).
   */
  replyAggregation?: boolean;
}

/**
 * Read through enhanced fan-out (SubscribeToShard) as this registered stream consumer (registered when missing):
 * records are pushed (~70 ms on AWS instead of ~200 ms polling) and the reads leave the shard's 5 GetRecords/s to
 * others. A stream allows 20 consumers: one name per server application, one per client instance.
 */
export interface FanOutOptions {
  consumerName: string;
  /** Renew each subscription after this long, ms (default 5 min, when the service ends it). */
  subscriptionRenewMs?: number;
}

export type PartitionBy = 'spread' | 'pattern' | ((packet: { pattern: string; data: unknown }) => string);

export interface ClientKinesisOptions extends KinesisTransportOptions {
  /**
   * `seneca`: send Seneca 3.x legacy acts (object patterns only) and read Seneca replies on the reply shard
   * of the topic; `partitionBy`, `aggregation` and the serializers do not apply. Default `native`.
   */
  protocol?: 'native' | 'seneca';
  seneca?: SenecaClientOptions;
  /** Default deadline of a request, ms (default 30 s). The caller gets RequestTimeoutError. */
  timeoutMs?: number;
  /** Request partition key: `spread` (default, random), `pattern` (ordered per pattern), or a function. */
  partitionBy?: PartitionBy;
  /** GetRecords interval on the reply shard, ms (default 200). */
  pollIntervalMs?: number;
  /** Read the reply shard through enhanced fan-out instead of polling (native protocol). */
  fanOut?: FanOutOptions;
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
  client: KinesisClient,
  options: KinesisTransportOptions,
): Promise<void> {
  const shardCounts = streamShardCounts(options.createStreams);
  if (!shardCounts) return;
  const encryption = shardCounts.kmsKeyId ? { keyId: shardCounts.kmsKeyId } : undefined;
  await ensureStream(client, options.actStream ?? DEFAULT_ACT_STREAM, {
    shardCount: shardCounts.act,
    encryption,
  });
  await ensureStream(client, options.resStream ?? DEFAULT_RES_STREAM, {
    shardCount: shardCounts.res,
    encryption,
  });
}
