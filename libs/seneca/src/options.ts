import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Producer,
  resolveEndpoint,
  resolveRegion,
  resolveShardCount,
  type CheckpointStore,
  type KinesisConnectionOptions,
  type LeaseOptions,
  type Logger,
  type StartPosition,
} from '../../kinesis/src/index.js';
import { KinesisStream, type KinesisStreamClass, type ProducerFactory } from './kinesis-stream.js';
import { SenecaRecordProcessor, type SenecaRecordProcessorClass } from './record-processor.js';

/** The plugin's defaults: the one place each is set (classes and the producer factory: resolveOptions). */
export const SENECA_DEFAULTS = Object.freeze({
  actStream: 'act',
  resStream: 'res',
  createStreams: false,
  pollIntervalMs: 200,
  lingerMs: 0,
  dedupeWindowMs: 10 * 60_000,
  dedupeMaxEntries: 100_000,
  maxActsInFlight: 64,
  exposeErrors: false,
  closeGracePeriodMs: 5_000,
  listenReadyTimeoutMs: 10_000,
});

/**
 * Plugin options: `seneca.use(kinesisTransport, options)`, or `Seneca({ transport: { kinesis: options } })`
 * (the plugin's own options win). `seneca.listen/client({ type: 'kinesis', actStream, resStream, pollIntervalMs })`
 * overrides those three per listener or client.
 */
export interface KinesisSenecaOptions {
  /** Default: `AWS_KINESIS_REGION`, then `AWS_REGION`, else `us-east-1` (the core's `resolveRegion`). */
  region?: string;
  /** Default: `KINESIS_ENDPOINT`; unset means AWS. */
  endpoint?: string;
  credentials?: KinesisConnectionOptions['credentials'];
  /** A client to use instead of creating one; it is not destroyed on close. */
  awsClient?: KinesisClient;
  /** Requests. Default `act`. */
  actStream?: string;
  /** Replies. Default `res`. */
  resStream?: string;
  /** Create missing streams (default false: streams are infrastructure). */
  createStreams?: boolean;
  /** Shard count of created streams. Default `AWS_KINESIS_SHARDS`, else 2. */
  shards?: number;
  /** Listener progress; with one, a restarted listener serves what arrived while it was down. Not with `leases`. */
  checkpointStore?: CheckpointStore;
  /**
   * Listeners share the act stream's shards through a DynamoDB lease table (the KCL's protocol): each reads only
   * the shards it leases, and checkpoints go into the leases. Same `appName` (or `tableName`) on every listener
   * of the service, a distinct `workerId` each. Not with `checkpointStore`.
   */
  leases?: LeaseOptions;
  /** Listener shards with no checkpoint. Default LATEST, or TRIM_HORIZON with a checkpoint store or leases. */
  startPosition?: StartPosition;
  /** GetRecords interval per shard (listener) and on the reply shard (client), ms. Default 200. */
  pollIntervalMs?: number;
  /** How long a put waits for others to share its PutRecords call, ms. Default 0 (next tick). */
  lingerMs?: number;
  /** A request id seen within this window is not handled twice (Kinesis redelivers), ms. Default 10 min. */
  dedupeWindowMs?: number;
  /** Most request ids the dedupe window keeps (oldest dropped first). Default 100,000. */
  dedupeMaxEntries?: number;
  /**
   * Acts of one act-stream shard running at once on a listener; reading that shard pauses while this many
   * run (one KPL aggregate can hold thousands). Default 64.
   */
  maxActsInFlight?: number;
  /**
   * Send a failed act's error to the caller as Seneca made it, message and details included (they may quote
   * the act or internals). Default false: its code (and an act_execute's original code), a fixed message.
   * A looping act (message_loop) is answered with the code and fixed text either way.
   */
  exposeErrors?: boolean;
  /**
   * How long `seneca.close()` lets running acts finish before the listener's last checkpoint, ms. Default 5 s.
   * Applied once; the consumer's stop waits this plus 10 s for the checkpoints.
   */
  closeGracePeriodMs?: number;
  /** How long a listener waits for its first poll of every shard before it reports ready, ms. Default 10 s. */
  listenReadyTimeoutMs?: number;
  /** Default: Seneca's log. */
  logger?: Logger;
  /** The Stream facade class (subclass KinesisStream). */
  Stream?: KinesisStreamClass;
  /** Creates each stream's producer. Default: the core Producer. */
  createProducer?: ProducerFactory;
  /** The listener's per-shard processor class (subclass SenecaRecordProcessor). */
  RecordProcessor?: SenecaRecordProcessorClass;
}

export interface ResolvedSenecaOptions extends Omit<
  Required<KinesisSenecaOptions>,
  'endpoint' | 'credentials' | 'awsClient' | 'checkpointStore' | 'leases' | 'startPosition' | 'logger'
> {
  endpoint: string | undefined;
  credentials: KinesisConnectionOptions['credentials'] | undefined;
  awsClient: KinesisClient | undefined;
  checkpointStore: CheckpointStore | undefined;
  leases: LeaseOptions | undefined;
  /** The listener's start position, default applied. */
  startPosition: StartPosition;
  logger: Logger | undefined;
}

/** Per listener/client overrides accepted from `seneca.listen/client` arguments. */
export interface StreamOverrides {
  actStream: string;
  resStream: string;
  pollIntervalMs: number;
}

export function resolveOptions(
  options: KinesisSenecaOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSenecaOptions {
  const d = SENECA_DEFAULTS;
  const createStreams = options.createStreams ?? d.createStreams;
  return {
    region: resolveRegion(options.region, env),
    endpoint: resolveEndpoint(options.endpoint, env),
    credentials: options.credentials,
    awsClient: options.awsClient,
    actStream: options.actStream ?? d.actStream,
    resStream: options.resStream ?? d.resStream,
    createStreams,
    // Validated at start only when streams are created: a bad AWS_KINESIS_SHARDS must not break a plain client.
    shards: createStreams ? resolveShardCount(options.shards, env) : (options.shards ?? 0),
    checkpointStore: options.checkpointStore,
    leases: options.leases,
    // Kept progress (a store or leases) means nothing is missed: shards without a checkpoint start at the oldest.
    startPosition:
      options.startPosition ??
      (options.checkpointStore || options.leases ? { type: 'TRIM_HORIZON' } : { type: 'LATEST' }),
    pollIntervalMs: options.pollIntervalMs ?? d.pollIntervalMs,
    lingerMs: options.lingerMs ?? d.lingerMs,
    dedupeWindowMs: options.dedupeWindowMs ?? d.dedupeWindowMs,
    dedupeMaxEntries: positiveInteger(options.dedupeMaxEntries, 'dedupeMaxEntries', d.dedupeMaxEntries),
    maxActsInFlight: positiveInteger(options.maxActsInFlight, 'maxActsInFlight', d.maxActsInFlight),
    exposeErrors: options.exposeErrors ?? d.exposeErrors,
    closeGracePeriodMs: options.closeGracePeriodMs ?? d.closeGracePeriodMs,
    listenReadyTimeoutMs: options.listenReadyTimeoutMs ?? d.listenReadyTimeoutMs,
    logger: options.logger,
    Stream: options.Stream ?? KinesisStream,
    createProducer: options.createProducer ?? ((producerOptions) => new Producer(producerOptions)),
    RecordProcessor: options.RecordProcessor ?? SenecaRecordProcessor,
  };
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** `actStream`, `resStream` and `pollIntervalMs` given to `seneca.listen/client`, over the plugin's. */
export function streamOverrides(
  options: ResolvedSenecaOptions,
  args: Record<string, unknown>,
): StreamOverrides {
  const text = (value: unknown, fallback: string) =>
    typeof value === 'string' && value !== '' ? value : fallback;
  const poll = args.pollIntervalMs;
  return {
    actStream: text(args.actStream, options.actStream),
    resStream: text(args.resStream, options.resStream),
    pollIntervalMs:
      typeof poll === 'number' && Number.isInteger(poll) && poll >= 0 ? poll : options.pollIntervalMs,
  };
}
