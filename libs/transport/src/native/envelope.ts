/**
 * The wire format of the Kinesis transporter: versioned JSON, one Kinesis record per envelope.
 *
 *   request / event  { v: 1, id, pattern, data, replyTo?: { stream, hashKey }, deadline?, metadata? }
 *   reply            { v: 1, id, response?, err?, isDisposed?, metadata? }
 *
 * A request has `replyTo`; an event has none (its `id` only serves deduplication). `deadline` is epoch ms:
 * past it the caller has given up, so the server skips the request. `metadata` carries Nest's dispatch-hook
 * values (trace context) under a KinesisMessage's; on a reply, the handler's (it returned a KinesisMessage).
 * An Observable handler's values are several replies with the same `id`, the last one with `isDisposed: true`.
 */
import { isSafeId, KinesisError, MAX_ID_LENGTH, parseExplicitHashKey } from '../../../kinesis/src/index.js';
import { metadataProblem, METADATA_LIMITS } from '../shared/record-builder.js';

export const ENVELOPE_VERSION = 1;

export interface ReplyTo {
  /** The stream the reply goes to. */
  stream: string;
  /** Decimal 128-bit hash key: the reply is put with it as ExplicitHashKey, so it lands in the caller's shard. */
  hashKey: string;
}

export interface RequestEnvelope {
  v: number;
  id: string;
  /** Nest's normalized pattern string; an object pattern (from a non-Nest writer) is normalized on receipt. */
  pattern: string | Record<string, unknown>;
  data: unknown;
  replyTo?: ReplyTo;
  deadline?: number;
  metadata?: Record<string, string>;
}

export interface ReplyEnvelope {
  v: number;
  id: string;
  response?: unknown;
  err?: unknown;
  isDisposed?: boolean;
  /** The handler's reply metadata (it returned a KinesisMessage); within ENVELOPE_LIMITS. */
  metadata?: Record<string, string>;
}

/** A record on the act or res stream that is not a valid envelope; `id`/`replyTo` are set when they were readable. */
export class InvalidEnvelopeError extends KinesisError {
  constructor(
    message: string,
    readonly id?: string,
    readonly replyTo?: ReplyTo,
  ) {
    super(message);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A record's data as a JSON object; throws InvalidEnvelopeError (no id known) for anything else. */
export function parseEnvelopeJson(data: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    // Not V8's message: it quotes the start of the input, and the reason is logged (payloads never are).
    throw new InvalidEnvelopeError('not JSON');
  }
  if (!isObject(value)) throw new InvalidEnvelopeError('not a JSON object');
  return value;
}

/**
 * Bounds of what the server keeps from a request (the act stream is untrusted input: whoever can write one
 * record can write anything). A request outside them is invalid; it is answered only when its id and replyTo
 * are themselves valid.
 */
export const ENVELOPE_LIMITS = Object.freeze({
  /** Ids: 1-128 characters of [A-Za-z0-9._:/+=@-] (isSafeId). An id we cannot keep cannot be answered safely. */
  maxIdLength: MAX_ID_LENGTH,
  /** replyTo.stream: a Kinesis stream name (1-128 characters of [A-Za-z0-9_.-]). */
  maxStreamNameLength: 128,
  /** metadata (requests, events and replies): entries, key and value lengths (one place: METADATA_LIMITS). */
  ...METADATA_LIMITS,
} as const);

/** The checks are built from ENVELOPE_LIMITS, so the documented limits are the enforced ones. */
const STREAM_NAME = new RegExp(`^[A-Za-z0-9_.-]{1,${ENVELOPE_LIMITS.maxStreamNameLength}}$`);
const isKeptId = (value: unknown): value is string =>
  isSafeId(value) && value.length <= ENVELOPE_LIMITS.maxIdLength;

/** A map of strings within ENVELOPE_LIMITS, copied (own data properties only, `__proto__` included as data). */
function readMetadata(value: unknown): Record<string, string> | undefined {
  if (metadataProblem(value) !== undefined) return undefined;
  return Object.fromEntries(Object.entries(value as object)) as Record<string, string>;
}

/** replyTo with a valid stream name and a hash key in [0, 2^128-1] (normalized: no leading zeros). */
function readReplyTo(value: unknown): ReplyTo | undefined {
  if (!isObject(value)) return undefined;
  const { stream, hashKey } = value;
  if (typeof stream !== 'string' || !STREAM_NAME.test(stream) || typeof hashKey !== 'string')
    return undefined;
  const key = parseExplicitHashKey(hashKey);
  return key === undefined ? undefined : { stream, hashKey: key.toString() };
}

const INVALID_ID = `envelope with an invalid id (1-${ENVELOPE_LIMITS.maxIdLength} characters of A-Za-z0-9._:/+=@-)`;

export function decodeRequest(data: Buffer): RequestEnvelope {
  return decodeRequestObject(parseEnvelopeJson(data));
}

/**
 * Validates an already parsed request (the server parses once, then tells native from Seneca by shape).
 * Every reason is a fixed text: it is logged and sent back to the caller, so it never quotes the record.
 */
export function decodeRequestObject(raw: Record<string, unknown>): RequestEnvelope {
  const id = isKeptId(raw.id) ? raw.id : undefined;
  const replyTo = raw.replyTo === undefined ? undefined : readReplyTo(raw.replyTo);
  const fail = (message: string) => new InvalidEnvelopeError(message, id, replyTo);
  if (raw.v !== ENVELOPE_VERSION) {
    throw fail(`unsupported envelope version (this server reads v${ENVELOPE_VERSION})`);
  }
  if (raw.id === undefined) throw fail('envelope without an id');
  if (!id) throw fail(INVALID_ID);
  if (raw.replyTo !== undefined && !replyTo) throw fail('envelope with an invalid replyTo');
  if (typeof raw.pattern !== 'string' && !isObject(raw.pattern)) throw fail('envelope without a pattern');
  if (!('data' in raw)) throw fail('envelope without data');
  if (raw.deadline !== undefined && !Number.isFinite(raw.deadline))
    throw fail('envelope with a deadline that is not a finite number');
  const metadata = raw.metadata === undefined ? undefined : readMetadata(raw.metadata);
  if (raw.metadata !== undefined && !metadata) throw fail('envelope with invalid metadata');
  return {
    v: ENVELOPE_VERSION,
    id,
    pattern: raw.pattern as string | Record<string, unknown>,
    data: raw.data,
    ...(replyTo ? { replyTo } : {}),
    ...(raw.deadline !== undefined ? { deadline: raw.deadline as number } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

export function decodeReply(data: Buffer): ReplyEnvelope {
  const raw = parseEnvelopeJson(data);
  if (raw.v !== ENVELOPE_VERSION)
    throw new InvalidEnvelopeError(`unsupported reply version (this client reads v${ENVELOPE_VERSION})`);
  if (typeof raw.id !== 'string' || !raw.id) throw new InvalidEnvelopeError('reply without an id');
  if (raw.metadata === undefined) return raw as unknown as ReplyEnvelope;
  const metadata = readMetadata(raw.metadata);
  if (!metadata) throw new InvalidEnvelopeError('reply with invalid metadata');
  return { ...raw, metadata } as unknown as ReplyEnvelope;
}

export function encodeEnvelope(envelope: RequestEnvelope | ReplyEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}
