import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Logger } from '../logger.js';
import { defaultLogger } from '../logger.js';
import {
  CLASSIC_MAX_REQUEST_BYTES,
  LARGE_RECORDS_MAX_REQUEST_BYTES,
  LARGEST_MAX_RECORD_BYTES,
  type StreamFacts,
} from '../stream-facts.js';
import { MAX_RECORD_BYTES } from './validate.js';

/** PutRecords limits (AWS documentation; the request bytes of a large-records stream: stream-facts.ts). */
export const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = CLASSIC_MAX_REQUEST_BYTES;
/** The KPL's default aggregate size. */
export const DEFAULT_AGGREGATE_BYTES = 51_200;
/** Room for an aggregate's own partition key (256 characters of up to 4 UTF-8 bytes). */
const MAX_AGGREGATE_BYTES = MAX_RECORD_BYTES - 1024;

export interface ProducerOptions {
  client: KinesisClient;
  streamName: string;
  /** How long a record may wait for others to share its PutRecords call, ms (default 10). */
  lingerMs?: number;
  /** Entries per PutRecords call, at most 500 (the default). */
  maxBatchRecords?: number;
  /**
   * Bytes (data + partition keys) per PutRecords call, at most 5 MiB (the default), or 10 MiB when
   * `maxRecordBytes` is above 1 MiB. A larger record still goes, alone in its call.
   */
  maxBatchBytes?: number;
  /**
   * The stream's record limit, data + partition key (default 1 MiB, at most 10 MiB): its MaxRecordSizeInKiB.
   * `producerLimits(await readStreamFacts(client, stream))` gives this and `maxBatchBytes` for a stream.
   */
  maxRecordBytes?: number;
  /** PutRecords calls in flight at once (default 4). */
  maxInFlight?: number;
  /** How long a record may keep failing with retryable errors before its put rejects, ms (default 30 s). */
  retryTimeoutMs?: number;
  /** Retry delays: full jitter under min(maxMs, baseMs * 2^(attempt-1)) (defaults 100 ms, 5 s). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Keep per-partition-key order across retries, at a throughput cost (see LaneQueue). Default false. */
  preserveOrder?: boolean;
  /** KPL-compatible aggregation of user records bound for the same shard (default off). */
  aggregation?: boolean | { maxBytes?: number };
  logger?: Logger;
}

/** The producer's defaults: the one place each is written (docs above). */
export const PRODUCER_DEFAULTS = {
  lingerMs: 10,
  maxBatchRecords: MAX_BATCH_RECORDS,
  maxBatchBytes: MAX_BATCH_BYTES,
  maxRecordBytes: MAX_RECORD_BYTES,
  maxInFlight: 4,
  retryTimeoutMs: 30_000,
  backoff: { baseMs: 100, maxMs: 5_000 },
  preserveOrder: false,
  aggregateBytes: DEFAULT_AGGREGATE_BYTES,
} as const;

export interface ResolvedProducerOptions {
  client: KinesisClient;
  streamName: string;
  lingerMs: number;
  maxBatchRecords: number;
  maxBatchBytes: number;
  maxRecordBytes: number;
  maxInFlight: number;
  retryTimeoutMs: number;
  backoff: { baseMs: number; maxMs: number };
  preserveOrder: boolean;
  /** Aggregate size limit, or undefined when aggregation is off. */
  aggregateBytes: number | undefined;
  logger: Logger;
}

function check(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `producer option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}

/** Applies the defaults and refuses values Kinesis (or common sense) would not accept. */
export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  if (!options?.client) throw new TypeError('producer option client is required');
  if (typeof options.streamName !== 'string' || !options.streamName) {
    throw new TypeError('producer option streamName is required');
  }
  const aggregation = options.aggregation;
  const maxRecordBytes = check(
    'maxRecordBytes',
    options.maxRecordBytes ?? PRODUCER_DEFAULTS.maxRecordBytes,
    1,
    LARGEST_MAX_RECORD_BYTES,
  );
  const baseMs = check('backoff.baseMs', options.backoff?.baseMs ?? PRODUCER_DEFAULTS.backoff.baseMs, 1);
  return {
    client: options.client,
    streamName: options.streamName,
    lingerMs: check('lingerMs', options.lingerMs ?? PRODUCER_DEFAULTS.lingerMs, 0),
    maxBatchRecords: check(
      'maxBatchRecords',
      options.maxBatchRecords ?? PRODUCER_DEFAULTS.maxBatchRecords,
      1,
      MAX_BATCH_RECORDS,
    ),
    maxBatchBytes: check(
      'maxBatchBytes',
      options.maxBatchBytes ?? PRODUCER_DEFAULTS.maxBatchBytes,
      1,
      maxRecordBytes > MAX_RECORD_BYTES ? LARGE_RECORDS_MAX_REQUEST_BYTES : MAX_BATCH_BYTES,
    ),
    maxRecordBytes,
    maxInFlight: check('maxInFlight', options.maxInFlight ?? PRODUCER_DEFAULTS.maxInFlight, 1),
    retryTimeoutMs: check('retryTimeoutMs', options.retryTimeoutMs ?? PRODUCER_DEFAULTS.retryTimeoutMs, 0),
    backoff: {
      baseMs,
      maxMs: check('backoff.maxMs', options.backoff?.maxMs ?? PRODUCER_DEFAULTS.backoff.maxMs, baseMs),
    },
    preserveOrder: options.preserveOrder ?? PRODUCER_DEFAULTS.preserveOrder,
    aggregateBytes: aggregation
      ? check(
          'aggregation.maxBytes',
          (typeof aggregation === 'object' ? aggregation.maxBytes : undefined) ??
            PRODUCER_DEFAULTS.aggregateBytes,
          1,
          MAX_AGGREGATE_BYTES,
        )
      : undefined,
    logger: options.logger ?? defaultLogger,
  };
}

/** The producer options a stream's facts decide: its record limit and the PutRecords request bytes that fit it. */
export function producerLimits(
  facts: StreamFacts,
): Pick<ProducerOptions, 'maxRecordBytes' | 'maxBatchBytes'> {
  return { maxRecordBytes: facts.maxRecordBytes, maxBatchBytes: facts.maxRequestBytes };
}
