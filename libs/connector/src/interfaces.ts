/**
 * The connector's small, swappable parts (the amazon-kinesis-connectors shape):
 * record -> Transformer -> Filter -> Buffer -> Emitter, with a dead-letter sink for what cannot be emitted.
 */
import type { Buffer as Bytes } from 'node:buffer';
import type { KinesisRecord } from '../../kinesis/src/index.js';

/**
 * Turns a Kinesis record into the user's model(s), and a model into the bytes an emitter writes.
 * Both may throw for one record: the record (or that model) is dead-lettered, stage `transform` or `encode`.
 */
export interface Transformer<T> {
  /**
   * One model, or an array of models (each emitted with its position as `modelIndex`). An empty array is a
   * valid record that carries no model: counted as `empty` and checkpointed past. Throw (e.g. TransformError)
   * for input that cannot be read: it is dead-lettered.
   */
  toModels(record: KinesisRecord): T | T[];
  toBytes(model: T): Bytes;
}

/** Keeps the models to emit; a dropped model is counted as filtered and checkpointed past. A throw dead-letters it. */
export interface Filter<T> {
  keep(model: T): boolean;
}

/** A model with the record it came from: emitters and dead-letter entries need both. */
export interface BufferedItem<T> {
  model: T;
  record: KinesisRecord;
  /**
   * The model's 0-based position among its record's models. A record holding a JSON array yields one model per
   * element, all with the record's (shard, sequence, sub-sequence): effectively-once keys must include this.
   */
  modelIndex: number;
  /** Size of `toBytes(model)`: what the buffer's byte limit counts. */
  bytes: number;
}

/** Collects items until one of its limits (count, bytes, age) says flush. One buffer per shard. */
export interface RecordBatchBuffer<T> {
  add(item: BufferedItem<T>, now?: number): void;
  /** True when the record count, the byte count or the age of the oldest item crossed its limit. */
  shouldFlush(now?: number): boolean;
  readonly items: readonly BufferedItem<T>[];
  readonly count: number;
  readonly bytes: number;
  /** When the oldest item was added (undefined when empty). */
  readonly oldestAt: number | undefined;
  readonly firstSequenceNumber: string | undefined;
  readonly lastSequenceNumber: string | undefined;
  clear(): void;
}

export interface BufferLimits {
  /** Flush at this many items (default 500). */
  maxRecords?: number;
  /** Flush at this many bytes (default 5 MiB). */
  maxBytes?: number;
  /** Flush when the oldest item is this old, even with no new record (default 10 s). */
  maxAgeMs?: number;
}

/** Everything an emitter needs to write one batch. */
export interface EmitBatch<T> extends BatchContext<T> {
  items: readonly BufferedItem<T>[];
}

/**
 * Where a batch comes from: its stream, shard and sequence range, and the transformer's toBytes. Emitters hand
 * it to the user's per-item functions (e.g. DynamoDBEmitter's toItem), so a key can name the shard.
 */
export interface BatchContext<T> {
  streamName: string;
  shardId: string;
  firstSequenceNumber: string;
  lastSequenceNumber: string;
  /** The transformer's toBytes, for emitters that write bytes. */
  toBytes(model: T): Bytes;
}

/** An item the emitter could not write, and why. */
export interface FailedItem<T> {
  item: BufferedItem<T>;
  error: string;
}

/**
 * Writes a batch somewhere. The rule every emitter follows:
 * - record-level (returned as failed items: retried `emitAttempts` times, then dead-lettered, stage `emit`):
 *   what one record's data causes and other records do not share: a bad identifier or unknown column derived
 *   from the data, a constraint or type violation, an oversize item, a user function (toItem, columns,
 *   toBytes) throwing for that item. The rest of the batch is written.
 * - destination-level (thrown: the whole batch is retried with backoff until it works, no checkpoint moves
 *   meanwhile): connection errors, timeouts, throttling, 5xx, a missing table/stream/bucket, access denied,
 *   a schema that no record can be written to.
 * A replayed batch must not duplicate: keys include (shard, sequence, sub-sequence, modelIndex).
 */
export interface Emitter<T> {
  emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]>;
  shutdown(): Promise<void>;
}

/**
 * Where a record failed: `transform` (toModels threw: the whole record), `filter` (filter.keep threw),
 * `encode` (toBytes threw or did not return bytes), `emit` (the emitter refused that model: bad data, oversize,
 * constraint, unknown column...).
 */
export type DeadLetterStage = 'transform' | 'filter' | 'encode' | 'emit';

/** A record (or one model of it) that was neither emitted nor filtered: what it was, where it came from, why. */
export interface DeadLetterEntry {
  streamName: string;
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  partitionKey: string;
  /** The original record data, base64 (the whole record, even when only one of its models failed). */
  data: string;
  stage: DeadLetterStage;
  /** Which model of the record failed (stages filter, encode, emit); absent for `transform` (the whole record). */
  modelIndex?: number;
  /** The reason, cut to 2,000 characters. It may quote record content: never log it above debug. */
  error: string;
  at: string;
}

/** Where dead letters go: an S3 prefix, a Kinesis stream, a local file. Throws when it cannot store them. */
export interface DeadLetterSink {
  write(entries: DeadLetterEntry[]): Promise<void>;
  shutdown?(): Promise<void>;
}

/** Buffers are per shard: a connector takes a factory. */
export type BufferFactory<T> = (shardId: string) => RecordBatchBuffer<T>;
