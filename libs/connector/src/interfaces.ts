/**
 * The connector's small, Nest-injectable parts (the amazon-kinesis-connectors shape):
 * record -> Transformer -> Filter -> Buffer -> Emitter, with a dead-letter sink for what cannot be emitted.
 */
import type { Buffer as Bytes } from 'node:buffer';
import type { KinesisRecord } from '../../kinesis/src/index.js';

/** Turns a Kinesis record into the user's model(s), and a model into the bytes an emitter writes. */
export interface Transformer<T> {
  /** One or many models; throw (e.g. TransformError) for input that cannot be read: it is dead-lettered. */
  toModels(record: KinesisRecord): T | T[];
  toBytes(model: T): Bytes;
}

/** Keeps the models to emit; a dropped model is simply skipped (and checkpointed past). */
export interface Filter<T> {
  keep(model: T): boolean;
}

/** A model with the record it came from: emitters and dead-letter entries need both. */
export interface BufferedItem<T> {
  model: T;
  record: KinesisRecord;
  /** Size of `toBytes(model)`: what the buffer's byte limit counts. */
  bytes: number;
}

/** Collects items until one of its limits (count, bytes, age) says flush. One buffer per shard. */
export interface Buffer<T> {
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
export interface EmitBatch<T> {
  streamName: string;
  shardId: string;
  items: readonly BufferedItem<T>[];
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
 * Writes a batch somewhere. Returns the items that failed (record-level problems: they are retried a few
 * times, then dead-lettered). Throwing means the destination itself is unavailable: the whole batch is
 * retried with backoff until it works, and no checkpoint moves meanwhile.
 */
export interface Emitter<T> {
  emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]>;
  shutdown(): Promise<void>;
}

/** A record that was neither emitted nor filtered: what it was, where it came from, and why it failed. */
export interface DeadLetterEntry {
  streamName: string;
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  partitionKey: string;
  /** The original record data, base64. */
  data: string;
  stage: 'transform' | 'emit';
  error: string;
  at: string;
}

/** Where dead letters go: an S3 prefix, a Kinesis stream, a local file. Throws when it cannot store them. */
export interface DeadLetterSink {
  write(entries: DeadLetterEntry[]): Promise<void>;
  shutdown?(): Promise<void>;
}

/** Injection tokens: a user swaps any part through DI. */
export const TRANSFORMER = Symbol('KINESIS_CONNECTOR_TRANSFORMER');
export const FILTER = Symbol('KINESIS_CONNECTOR_FILTER');
export const BUFFER_FACTORY = Symbol('KINESIS_CONNECTOR_BUFFER_FACTORY');
export const EMITTER = Symbol('KINESIS_CONNECTOR_EMITTER');
export const DEAD_LETTER_SINK = Symbol('KINESIS_CONNECTOR_DEAD_LETTER_SINK');
export const CHECKPOINT_STORE = Symbol('KINESIS_CONNECTOR_CHECKPOINT_STORE');

/** Buffers are per shard, so DI provides a factory. */
export type BufferFactory<T> = (shardId: string) => Buffer<T>;
