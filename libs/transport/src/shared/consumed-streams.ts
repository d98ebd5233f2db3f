import type { FanOutOptions, KinesisRecord, StartPosition } from '../../../kinesis/src/index.js';
import { jsonDeeperThan } from '../../../kinesis/src/untrusted/json-depth.js';

/** A record of a `streams` entry as read: a KPL aggregate is already split into its user records. */
export interface StreamRecord extends KinesisRecord {
  /** The stream it was read from. */
  streamName: string;
  shardId: string;
}

/** What a record of a `streams` entry becomes for Nest: the @EventPattern it goes to and the handler's data. */
export interface StreamEvent {
  /**
   * A string, or an object as in @EventPattern({ ... }) (Nest's route of it: keys sorted), of 1 to
   * MAX_STREAM_PATTERN_LENGTH characters; anything else makes the record invalid.
   */
  pattern: string | Record<string, unknown>;
  data: unknown;
}

/**
 * Turns a raw record into Nest's `{ pattern, data }`, or undefined to skip it (the app's decision, as a guard's
 * refusal: counted in `stats.skipped`, checkpointed past). It runs inside the event's attempt: what it throws is
 * a handler failure (retried, then dead-lettered with the record's bytes; KinesisDeadLetterError: at once).
 */
export type RecordDeserializer = (
  record: StreamRecord,
) => StreamEvent | undefined | Promise<StreamEvent | undefined>;

/** A stream whose records are not this package's envelopes (`ServerKinesisOptions.streams`). */
export interface ConsumedStreamOptions {
  /** The stream's name: not the act stream, the dead-letter stream, nor another entry's. */
  name: string;
  /** The pattern of the default deserializer (default: `name`). Not with `deserializer`. */
  pattern?: string;
  /** Default: `pattern` with the record's JSON value, or its bytes (a Buffer) when it is not bounded JSON. */
  deserializer?: RecordDeserializer;
  /** For shards with no checkpoint. Default: the server's `startPosition` (TRIM_HORIZON). */
  startPosition?: StartPosition;
  /** Default: the server's `pollIntervalMs`. */
  pollIntervalMs?: number;
  /** Handlers running at once per shard. Default: the server's `concurrency`. */
  concurrency?: number;
  /** Read through enhanced fan-out. Default: the server's `fanOut`. */
  fanOut?: FanOutOptions;
}

/** Bounds of the default deserializer: larger or deeper JSON reaches the handler as bytes, never parsed. */
export const STREAM_JSON_LIMITS = Object.freeze({ maxBytes: 1024 * 1024, maxDepth: 64 });
export const MAX_STREAM_PATTERN_LENGTH = 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The record's JSON value when its bytes are UTF-8 JSON within STREAM_JSON_LIMITS; else the bytes, unchanged
 * (a Buffer). Never throws: the bytes are anyone's.
 */
export function jsonOrBytes(data: Buffer): unknown {
  if (data.length > STREAM_JSON_LIMITS.maxBytes || jsonDeeperThan(data, STREAM_JSON_LIMITS.maxDepth))
    return data;
  try {
    // Strict UTF-8: a lenient decode would turn invalid bytes into U+FFFD and hand over JSON they never held.
    return JSON.parse(strictUtf8.decode(data));
  } catch {
    return data;
  }
}

/** The default deserializer: every record to `pattern`, its data as jsonOrBytes gives it. */
export function defaultDeserializer(pattern: string): RecordDeserializer {
  return (record) => ({ pattern, data: jsonOrBytes(record.data) });
}
