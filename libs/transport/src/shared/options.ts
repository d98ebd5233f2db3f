import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Deserializer, Serializer } from '@nestjs/microservices';
import {
  ensureStream,
  type CheckpointStore,
  type FanOutOptions,
  type KinesisConnectionOptions,
  type LeaseOptions,
  type Logger,
  type StartPosition,
} from '../../../kinesis/src/index.js';
import type { ConsumedStreamOptions } from './consumed-streams.js';

/** Envelope signing of the native protocol (native/signing.ts: the format and EnvelopeSigner). */
export interface SigningOptions {
  /**
   * Key id -> secret key (at least 32 bytes; a string is used as its UTF-8 bytes, not decoded). Records signed
   * with any of these keys are accepted: to rotate, add the new key everywhere, switch writers' `keyId`, then
   * remove the old key.
   */
  keys: Record<string, string | Buffer>;
  /**
   * The key this side signs with. Required when `keys` holds more than one key (JavaScript orders
   * integer-like ids first, so "the first key" would not be the first one written); default: the only key.
   */
  keyId?: string;
  /** Refuse records that carry no signature. Default true (false while writers are being rolled out). */
  required?: boolean;
}

/** What both sides share: where Kinesis is and which streams carry requests and replies. */
export interface KinesisTransportOptions extends KinesisConnectionOptions {
  /** Requests and events. Default `act`. */
  actStream?: string;
  /** Replies. Default `res`. */
  resStream?: string;
  /**
   * Create missing streams with these shard counts (off by default: streams are infrastructure). `kmsKeyId`:
   * encrypt both streams with this KMS key (also existing ones; see `ensureStream`'s `encryption`). A server
   * creates its `streams` too (`streams`: their shard count).
   */
  createStreams?: { act?: number; res?: number; streams?: number; kmsKeyId?: string } | boolean;
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
  /**
   * OpenTelemetry spans and metrics (README: Traces and metrics). Default true: recorded whenever the app
   * registered an OpenTelemetry SDK (`@opentelemetry/api`, an optional peer, is then installed); a no-op otherwise.
   */
  telemetry?: boolean;
}

/** Which envelopes a server reads: `auto` (default) tells Seneca acts from native v1 envelopes by shape. */
export type ServerProtocolName = 'auto' | 'native' | 'seneca';

/** Which envelopes a client writes: native v1 (default) or Seneca 3.x legacy acts. */
export type ClientProtocolName = 'native' | 'seneca';

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
  protocol?: ServerProtocolName;
  /** Seneca interop (when `protocol` is `auto` or `seneca`). */
  seneca?: SenecaServerOptions;
  /**
   * The application's name: names the logger (`ServerKinesis:<appName>`) and, with `leases` that name no
   * `appName` or `tableName` of their own, the lease table (`<appName>-<actStream>`). Give a `checkpointStore`
   * the same `appName` (it names its table `<appName>-<stream>` the same way). Default `nest-kinesis`.
   */
  appName?: string;
  /** Where each shard's progress is kept. Not with `leases` (the leases hold the checkpoints). */
  checkpointStore?: CheckpointStore;
  /**
   * Share the act stream's shards with the other instances of this service through a DynamoDB lease table
   * (the KCL's protocol): each instance reads only the shards it leases, a stopped or dead instance's shards
   * move to the others (after `failoverTimeMs`, default 10 s, when it died). Give every instance the same
   * `appName` (the server's, or `leases.appName` / `leases.tableName`) and a distinct `workerId`. Not with
   * `checkpointStore`.
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
  /**
   * What happens when an @EventPattern handler fails: retried in place with backoff (per-shard order holds
   * with concurrency 1; the record is not checkpointed meanwhile), then written to `deadLetterStream`. See
   * `EventRetryOptions`.
   */
  eventRetries?: EventRetryOptions;
  /**
   * Streams of any producer's records, read beside the act stream, each by its own consumer (own checkpoints,
   * keyed per stream): a deserializer turns each record into an event, `{ pattern, data }` (default: the stream's
   * name and the record's JSON value or bytes), handled by an @EventPattern handler, with `eventRetries`. See
   * `ConsumedStreamOptions` (README: Consume any stream).
   */
  streams?: ConsumedStreamOptions[];
}

/** Retries of failed event handlers, then the dead-letter stream (see README: Event handler failures). */
export interface EventRetryOptions {
  /** Handler attempts before the event is dead-lettered (default 3; at least 1). */
  attempts?: number;
  /** Backoff between attempts (exponential with jitter; default 100 ms doubling up to 5 s). */
  backoff?: { baseMs?: number; maxMs?: number };
  /**
   * Where events go after `attempts` (default none). Without it, an event is never skipped: it is retried at
   * `backoff.maxMs` until it succeeds or the server closes (a rate-bounded warning), and its shard waits.
   */
  deadLetterStream?: string;
}

export type PartitionBy = 'spread' | 'pattern' | ((packet: { pattern: string; data: unknown }) => string);

export interface ClientKinesisOptions extends KinesisTransportOptions {
  /**
   * `seneca`: send Seneca 3.x legacy acts (object patterns only) and read Seneca replies on the reply shard
   * of the topic; `partitionBy`, `aggregation` and the serializers do not apply. Default `native`.
   */
  protocol?: ClientProtocolName;
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

/** The server's defaults, one place for each (the options' docs name them). */
export const SERVER_DEFAULTS = Object.freeze({
  actStream: DEFAULT_ACT_STREAM,
  resStream: DEFAULT_RES_STREAM,
  protocol: 'auto' as ServerProtocolName,
  appName: 'nest-kinesis',
  pollIntervalMs: 200,
  concurrency: 1,
  closeGracePeriodMs: 10_000,
  dedupeWindowMs: 10 * 60_000,
  dedupeMaxEntries: 100_000,
  replyLingerMs: 0,
  replyAggregation: false,
  eventRetries: Object.freeze({
    attempts: 3,
    backoff: Object.freeze({ baseMs: 100, maxMs: 5_000 }),
    deadLetterStream: undefined as string | undefined,
  }),
  streams: Object.freeze([]) as readonly ConsumedStreamOptions[],
  telemetry: true,
});

/** The client's defaults, one place for each. */
export const CLIENT_DEFAULTS = Object.freeze({
  actStream: DEFAULT_ACT_STREAM,
  resStream: DEFAULT_RES_STREAM,
  protocol: 'native' as ClientProtocolName,
  timeoutMs: 30_000,
  partitionBy: 'spread' as PartitionBy,
  pollIntervalMs: 200,
  lingerMs: 0,
  aggregation: false,
  telemetry: true,
});

/** Options with every default filled in (what the adapters and protocols read). */
export type ServerKinesisSettings = ServerKinesisOptions & {
  -readonly [K in keyof typeof SERVER_DEFAULTS]: (typeof SERVER_DEFAULTS)[K];
};
export type ClientKinesisSettings = ClientKinesisOptions & {
  -readonly [K in keyof typeof CLIENT_DEFAULTS]: (typeof CLIENT_DEFAULTS)[K];
};

/** `options` over `defaults`; an option set to undefined keeps its default. */
function withDefaults<O extends object, D extends object>(defaults: D, options: O): O & D {
  const defined = Object.entries(options).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(defined) } as O & D;
}

export const serverSettings = (options: ServerKinesisOptions): ServerKinesisSettings => {
  const retries = options.eventRetries ?? {};
  const defaults = SERVER_DEFAULTS.eventRetries;
  const eventRetries = {
    ...withDefaults(defaults, retries),
    backoff: withDefaults(defaults.backoff, retries.backoff ?? {}),
  };
  return { ...withDefaults(SERVER_DEFAULTS, options), eventRetries };
};

export const clientSettings = (options: ClientKinesisOptions): ClientKinesisSettings =>
  withDefaults(CLIENT_DEFAULTS, options);

export function streamShardCounts(createStreams: KinesisTransportOptions['createStreams']) {
  if (!createStreams) return undefined;
  return createStreams === true ? {} : createStreams;
}

/** Creates the act and res streams when `createStreams` asks for it (idempotent, safe from several processes). */
export async function createStreamsIfAsked(
  client: KinesisClient,
  options: Pick<KinesisTransportOptions, 'createStreams'> & { actStream: string; resStream: string },
): Promise<void> {
  const shardCounts = streamShardCounts(options.createStreams);
  if (!shardCounts) return;
  const encryption = shardCounts.kmsKeyId ? { keyId: shardCounts.kmsKeyId } : undefined;
  await ensureStream(client, options.actStream, { shardCount: shardCounts.act, encryption });
  await ensureStream(client, options.resStream, { shardCount: shardCounts.res, encryption });
}
