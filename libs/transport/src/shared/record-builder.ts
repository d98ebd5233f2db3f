/**
 * Per-message options, the way Nest's own transports take them (RmqRecordBuilder, NatsRecordBuilder): the data of
 * one `send` / `emit` wrapped with its options, or a handler's reply wrapped with its metadata.
 *
 *   client.send('order.get', new KinesisMessageBuilder({ id }).setPartitionKey(tenant).setTimeout(2_000).build())
 */
import {
  InvalidExplicitHashKeyError,
  InvalidPartitionKeyError,
  KinesisError,
  MAX_PARTITION_KEY_LENGTH,
  parseExplicitHashKey,
} from '../../../kinesis/src/index.js';

/**
 * Bounds of metadata (headers) on the wire: what a server keeps of a request, a client of a reply, and what a
 * message may carry (checked before it is sent).
 */
export const METADATA_LIMITS = Object.freeze({
  /** At most this many entries, every value a string. */
  maxMetadataEntries: 32,
  maxMetadataKeyLength: 128,
  /** Room for a W3C `baggage` header (8,192 bytes by its spec) or a `traceparent`. */
  maxMetadataValueLength: 8192,
} as const);

/** Longest per-call timeout, ms: Node's timer limit (2^31 - 1). */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** The options of one message. Every one is optional; with protocol `seneca` a message carries none. */
export interface KinesisMessageOptions {
  /** The request's partition key (over the client's `partitionBy`): records of one key stay in order. */
  partitionKey?: string;
  /** A decimal integer in [0, 2^128 - 1]: the shard is the one covering this hash key, not the partition key's. */
  explicitHashKey?: string;
  /**
   * Headers (within METADATA_LIMITS). On a call or event: merged over the dispatch hook's, the handler reads
   * them with `KinesisContext.getMetadata()`. On a reply: handed to a caller that asked with `replyMetadata`.
   */
  metadata?: Record<string, string>;
  /**
   * `send`: this call's deadline, ms (over the client's `timeoutMs`; the request's deadline follows it).
   * `emit`: the event's expiry: a server reading it later skips it (`stats.expired`).
   */
  timeoutMs?: number;
  /** `send`: the call yields KinesisMessage values (the reply's data and metadata) instead of the data. */
  replyMetadata?: boolean;
}

/** An option of a KinesisMessage that is not valid; nothing was sent. */
export class InvalidMessageOptionsError extends KinesisError {}

/** Data with its per-message options: build it with KinesisMessageBuilder (send/emit) or return it (a reply). */
export class KinesisMessage<TData = unknown> {
  constructor(
    readonly data: TData,
    readonly options: KinesisMessageOptions = {},
  ) {}

  /** The metadata it carries (on a reply: the handler's), `{}` when none. */
  get metadata(): Record<string, string> {
    return this.options.metadata ?? {};
  }
}

/** Builds a KinesisMessage; `build()` checks the options, so a bad one fails where it was written. */
export class KinesisMessageBuilder<TData = unknown> {
  private options: KinesisMessageOptions = {};

  constructor(private data?: TData) {}

  setData(data: TData): this {
    this.data = data;
    return this;
  }

  /** Merged over the options set so far. */
  setOptions(options: KinesisMessageOptions): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  setPartitionKey(partitionKey: string): this {
    return this.setOptions({ partitionKey });
  }

  setExplicitHashKey(explicitHashKey: string | bigint): this {
    return this.setOptions({ explicitHashKey: String(explicitHashKey) });
  }

  /** Replaces the metadata set so far. */
  setMetadata(metadata: Record<string, string>): this {
    return this.setOptions({ metadata });
  }

  setTimeout(timeoutMs: number): this {
    return this.setOptions({ timeoutMs });
  }

  /** The call yields KinesisMessage values: each reply's data with the metadata its handler set. */
  withReplyMetadata(): this {
    return this.setOptions({ replyMetadata: true });
  }

  build(): KinesisMessage<TData> {
    return new KinesisMessage(this.data as TData, validateMessageOptions(this.options));
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why `value` is not metadata within METADATA_LIMITS (a fixed text: it never quotes the value), or undefined. */
export function metadataProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'metadata must be an object of strings';
  const entries = Object.entries(value);
  const { maxMetadataEntries, maxMetadataKeyLength, maxMetadataValueLength } = METADATA_LIMITS;
  if (entries.length > maxMetadataEntries) return `metadata has more than ${maxMetadataEntries} entries`;
  for (const [key, item] of entries) {
    if (key.length > maxMetadataKeyLength)
      return `metadata key longer than ${maxMetadataKeyLength} characters`;
    if (typeof item !== 'string') return 'metadata values must be strings';
    if (item.length > maxMetadataValueLength)
      return `metadata value longer than ${maxMetadataValueLength} characters`;
  }
  return undefined;
}

const OPTION_NAMES = new Set(['partitionKey', 'explicitHashKey', 'metadata', 'timeoutMs', 'replyMetadata']);

/**
 * The options checked and copied (the hash key normalized, metadata copied): what is sent is what was checked.
 * Throws InvalidMessageOptionsError, or the core's InvalidPartitionKeyError / InvalidExplicitHashKeyError.
 */
export function validateMessageOptions(options: unknown): KinesisMessageOptions {
  if (!isObject(options)) throw new InvalidMessageOptionsError('message options must be an object');
  const unknown = Object.keys(options).filter((key) => !OPTION_NAMES.has(key));
  if (unknown.length > 0)
    throw new InvalidMessageOptionsError(`unknown message option(s): ${unknown.slice(0, 5).join(', ')}`);
  const { partitionKey, explicitHashKey, metadata, timeoutMs, replyMetadata } = options;
  const out: KinesisMessageOptions = {};
  if (partitionKey !== undefined) {
    if (typeof partitionKey !== 'string' || partitionKey.length === 0 || !withinCodePoints(partitionKey))
      throw new InvalidPartitionKeyError(partitionKey);
    out.partitionKey = partitionKey;
  }
  if (explicitHashKey !== undefined) {
    const key = typeof explicitHashKey === 'string' ? parseExplicitHashKey(explicitHashKey) : undefined;
    if (key === undefined) throw new InvalidExplicitHashKeyError(explicitHashKey);
    out.explicitHashKey = key.toString();
  }
  if (metadata !== undefined) {
    const problem = metadataProblem(metadata);
    if (problem) throw new InvalidMessageOptionsError(problem);
    out.metadata = { ...(metadata as Record<string, string>) };
  }
  if (timeoutMs !== undefined) {
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS))
      throw new InvalidMessageOptionsError(`timeoutMs must be a number of ms in (0, ${MAX_TIMEOUT_MS}]`);
    out.timeoutMs = timeoutMs;
  }
  if (replyMetadata !== undefined) {
    if (typeof replyMetadata !== 'boolean')
      throw new InvalidMessageOptionsError('replyMetadata must be a boolean');
    if (replyMetadata) out.replyMetadata = true;
  }
  return out;
}

function withinCodePoints(value: string): boolean {
  let length = 0;
  for (const _ of value) if (++length > MAX_PARTITION_KEY_LENGTH) return false;
  return true;
}

/** A packet's data and options: a KinesisMessage's (checked), or plain data with none. */
export function unwrapMessage(data: unknown): { data: unknown; options: KinesisMessageOptions } {
  if (!(data instanceof KinesisMessage)) return { data, options: {} };
  // Nest refuses null or undefined data on send/emit; the same holds inside a message.
  if (data.data === undefined || data.data === null)
    throw new InvalidMessageOptionsError('a KinesisMessage needs data (not null or undefined)');
  return { data: data.data, options: validateMessageOptions(data.options) };
}
