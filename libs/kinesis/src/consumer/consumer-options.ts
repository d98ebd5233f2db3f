import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { BackoffOptions } from '../backoff.js';
import { KinesisError } from '../errors.js';
import type { LeaseOptions } from '../lease/lease-options.js';
import type { Logger } from '../logger.js';
import type { CheckpointStore, RecordProcessorFactory, StartPosition } from '../types.js';

/**
 * Reading through enhanced fan-out (SubscribeToShard) as a registered stream consumer, instead of polling:
 * a dedicated 2 MiB/s per shard and ~70 ms propagation. A stream has at most 20 registered consumers.
 */
export interface FanOutOptions {
  /** The stream consumer to read as, registered at start unless it exists. */
  consumerName: string;
  /** Renew each subscription after this long, ms. Default 5 minutes: the service ends one after 5 minutes. */
  subscriptionRenewMs?: number;
}

export interface ConsumerOptions {
  client: KinesisClient;
  streamName: string;
  /** One processor per shard, KCL-style. */
  processorFactory: RecordProcessorFactory;
  /** Default: an in-memory store (progress is lost on restart). Wrapped with retries. Not with `leases`. */
  checkpointStore?: CheckpointStore;
  /**
   * Share the stream's shards with the other instances using the same lease table (the KCL's protocol):
   * only shards whose lease this instance holds are read, and checkpoints are stored in the leases.
   */
  leases?: LeaseOptions;
  /** Read through enhanced fan-out: pollIntervalMs, maxRecordsPerCall and maxBytesPerCall do not apply. */
  fanOut?: FanOutOptions;
  /** Where a shard without a checkpoint starts. Default TRIM_HORIZON: nothing written before start is missed. */
  startPosition?: StartPosition;
  /** Minimum time between two GetRecords calls on one shard, ms. Default 200 (5 calls/s is the shard's limit). */
  pollIntervalMs?: number;
  /** GetRecords Limit. Default 10,000 (the service maximum). */
  maxRecordsPerCall?: number;
  /**
   * About how many bytes one GetRecords should return: the next call's Limit is sized from the last
   * response's record sizes (the first call asks for 100 records). Default 2 MiB, a shard's read limit per
   * second; a 10 MiB read throttles the shard for 5 s on AWS.
   */
  maxBytesPerCall?: number;
  /** How often shards are listed again to find new ones, ms. Default 10 s; a shard end triggers a listing at once. */
  shardSyncIntervalMs?: number;
  /** Backoff after a throttled or failed GetRecords. Default 200 ms doubling up to 5 s. */
  throttleBackoff?: BackoffOptions;
  /** Call processRecords with an empty list when a poll returns nothing (keeps millisBehindLatest flowing). */
  callProcessRecordsEvenForEmptyRecordList?: boolean;
  /** Retries of the checkpoint store before its failure is surfaced. Default 3. */
  checkpointAttempts?: number;
  /**
   * How long stop() waits for the shards' processors (the batch in progress, shutdownRequested and its
   * checkpoint), ms. Default 30 s. Past it, stop() gives up on the processors still running: their later
   * checkpoints are refused (ConsumerStoppedError), so what they did not checkpoint is read again after a
   * restart; with `leases`, their leases are no longer renewed and expire after the failover time, while the
   * leases of the processors that finished are released (bounded by a further 5 s).
   */
  stopTimeoutMs?: number;
  logger?: Logger;
}

/** The consumer's defaults: the one place each is written (docs above). */
export const CONSUMER_DEFAULTS = {
  startPosition: { type: 'TRIM_HORIZON' } as StartPosition,
  pollIntervalMs: 200,
  maxRecordsPerCall: 10_000,
  maxBytesPerCall: 2 * 1024 * 1024,
  shardSyncIntervalMs: 10_000,
  throttleBackoff: { baseMs: 200, maxMs: 5_000 } as Readonly<BackoffOptions>,
  callProcessRecordsEvenForEmptyRecordList: false,
  checkpointAttempts: 3,
  stopTimeoutMs: 30_000,
} as const;

/** Refuses values GetRecords (or common sense) would not accept, before any call. */
export function validateConsumerOptions(o: ConsumerOptions): void {
  const check = (name: keyof ConsumerOptions, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = o[name];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw new RangeError(
        `consumer option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
      );
  };
  check('maxRecordsPerCall', 1, 10_000);
  check('maxBytesPerCall', 1);
  check('pollIntervalMs', 0);
  check('shardSyncIntervalMs', 1);
  check('stopTimeoutMs', 0);
}

/** Options gave both a checkpoint store and leases (the leases hold the checkpoints), or neither where one is required. */
export class InvalidCheckpointingError extends KinesisError {}

/** Where shard checkpoints are kept, as checkpointingOf decided. */
export type Checkpointing =
  | { kind: 'store'; store: CheckpointStore }
  | { kind: 'leases'; leases: LeaseOptions }
  /** Neither given, and none required: an in-memory store (progress is lost on restart). */
  | { kind: 'memory' };

export interface CheckpointingRule {
  /** Refuse options with neither (a connector must not lose its progress on restart). Default false. */
  required?: boolean;
  /** How errors name the options and the leases option (e.g. 'connector options', 'consumer.leases'). */
  subject?: string;
  leasesOption?: string;
  /** The error class thrown. Default InvalidCheckpointingError. */
  error?: new (message: string) => Error;
}

/** The rule "a checkpoint store or leases, not both", in one place: the Consumer and the connector apply it. */
export function checkpointingOf(
  o: { checkpointStore?: CheckpointStore; leases?: LeaseOptions },
  {
    required = false,
    subject = 'consumer options',
    leasesOption = 'leases',
    error = InvalidCheckpointingError,
  }: CheckpointingRule = {},
): Checkpointing {
  if (o.checkpointStore !== undefined && o.leases !== undefined) {
    throw new error(
      `${subject}: give either checkpointStore or ${leasesOption}, not both (the leases hold the checkpoints)`,
    );
  }
  if (o.leases !== undefined) return { kind: 'leases', leases: o.leases };
  if (o.checkpointStore !== undefined) return { kind: 'store', store: o.checkpointStore };
  if (required) {
    throw new error(
      `${subject}: checkpointStore or ${leasesOption} is required (where shard checkpoints are kept)`,
    );
  }
  return { kind: 'memory' };
}
