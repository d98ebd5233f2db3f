/**
 * The wire format of the Kinesis transporter: versioned JSON, one Kinesis record per envelope.
 *
 *   request / event  { v: 1, id, pattern, data, replyTo?: { stream, hashKey }, deadline?, metadata? }
 *   reply            { v: 1, id, response?, err?, isDisposed? }
 *
 * A request has `replyTo`; an event has none (its `id` only serves deduplication). `deadline` is epoch ms:
 * past it the caller has given up, so the server skips the request. `metadata` carries Nest's dispatch-hook
 * values (trace context). An Observable handler's values are several replies with the same `id`, the last
 * one with `isDisposed: true`.
 */
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
}

/** A record on the act or res stream that is not a valid envelope; `id`/`replyTo` are set when they were readable. */
export class InvalidEnvelopeError extends Error {
  constructor(
    message: string,
    readonly id?: string,
    readonly replyTo?: ReplyTo,
  ) {
    super(message);
    this.name = 'InvalidEnvelopeError';
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

function readReplyTo(value: unknown): ReplyTo | undefined {
  if (!isObject(value)) return undefined;
  const { stream, hashKey } = value;
  if (typeof stream !== 'string' || !stream || typeof hashKey !== 'string' || !/^\d{1,39}$/.test(hashKey)) {
    return undefined;
  }
  return { stream, hashKey };
}

export function decodeRequest(data: Buffer): RequestEnvelope {
  return decodeRequestObject(parseEnvelopeJson(data));
}

/** Validates an already parsed request (the server parses once, then tells native from Seneca by shape). */
export function decodeRequestObject(raw: Record<string, unknown>): RequestEnvelope {
  const id = typeof raw.id === 'string' && raw.id ? raw.id : undefined;
  const replyTo = raw.replyTo === undefined ? undefined : readReplyTo(raw.replyTo);
  const fail = (message: string) => new InvalidEnvelopeError(message, id, replyTo);
  if (raw.v !== ENVELOPE_VERSION) {
    throw fail(
      `unsupported envelope version ${JSON.stringify(raw.v)} (this server reads v${ENVELOPE_VERSION})`,
    );
  }
  if (!id) throw fail('envelope without an id');
  if (raw.replyTo !== undefined && !replyTo) throw fail('envelope with an invalid replyTo');
  if (typeof raw.pattern !== 'string' && !isObject(raw.pattern)) throw fail('envelope without a pattern');
  if (!('data' in raw)) throw fail('envelope without data');
  if (raw.deadline !== undefined && typeof raw.deadline !== 'number')
    throw fail('envelope with a non-numeric deadline');
  if (raw.metadata !== undefined && !isObject(raw.metadata)) throw fail('envelope with invalid metadata');
  return {
    v: ENVELOPE_VERSION,
    id,
    pattern: raw.pattern as string | Record<string, unknown>,
    data: raw.data,
    ...(replyTo ? { replyTo } : {}),
    ...(raw.deadline !== undefined ? { deadline: raw.deadline as number } : {}),
    ...(raw.metadata ? { metadata: raw.metadata as Record<string, string> } : {}),
  };
}

export function decodeReply(data: Buffer): ReplyEnvelope {
  const raw = parseEnvelopeJson(data);
  if (raw.v !== ENVELOPE_VERSION)
    throw new InvalidEnvelopeError(`unsupported reply version ${JSON.stringify(raw.v)}`);
  if (typeof raw.id !== 'string' || !raw.id) throw new InvalidEnvelopeError('reply without an id');
  return raw as unknown as ReplyEnvelope;
}

export function encodeEnvelope(envelope: RequestEnvelope | ReplyEnvelope): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}
