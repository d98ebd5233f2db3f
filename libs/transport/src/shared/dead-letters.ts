import { AsyncLocalStorage } from 'node:async_hooks';
import { isSafeId, KinesisError } from '../../../kinesis/src/index.js';

/**
 * Thrown by an @EventPattern handler: the failure is transient; the event is retried in place (with backoff,
 * past `eventRetries.attempts`) and never dead-lettered for it.
 */
export class KinesisRetryableError extends KinesisError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    recordVerdict(this);
  }
}

/** Thrown by an @EventPattern handler: the event can never succeed; it is dead-lettered at once, not retried. */
export class KinesisDeadLetterError extends KinesisError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    recordVerdict(this);
  }
}

/** `redriveDeadLetters` was given a bad option, or the dead-letter stream could not be read. */
export class DeadLetterError extends KinesisError {}

export type EventVerdict = KinesisRetryableError | KinesisDeadLetterError;

/**
 * Nest's exception filters replace what an event handler throws (a plain `{ status, message }` for any error
 * but RpcException) before the transport sees it. So the two verdict errors note themselves, when constructed,
 * in the attempt that runs them (an AsyncLocalStorage scope opened around each handler attempt).
 */
const attemptScope = new AsyncLocalStorage<{ verdict?: EventVerdict }>();

function recordVerdict(error: EventVerdict): void {
  const scope = attemptScope.getStore();
  if (scope) scope.verdict = error;
}

/** Runs `attempt`; returns the verdict error a handler constructed in it (when it failed), if any. */
export async function withVerdictScope(
  attempt: () => Promise<void>,
): Promise<{ ok: true } | { ok: false; error: unknown; verdict?: EventVerdict }> {
  const scope: { verdict?: EventVerdict } = {};
  try {
    await attemptScope.run(scope, attempt);
    return { ok: true };
  } catch (error) {
    const verdict =
      error instanceof KinesisRetryableError || error instanceof KinesisDeadLetterError
        ? error
        : scope.verdict;
    return { ok: false, error, verdict };
  }
}

/** Marks a dead-letter record as this package's (redrive refuses records without it). */
export const DEAD_LETTER_KIND = 'nestjs-kinesis-transport/dead-letter';
export const DEAD_LETTER_VERSION = 1;
/** Bounds of what redrive accepts from a dead-letter record (the Kinesis record limit is 1 MiB). */
const MAX_FIELD_CHARS = 1024;
const MAX_DATA_BASE64_CHARS = Math.ceil((1024 * 1024) / 3) * 4;

/** One dead-letter record: the event as received, and why it was given up on. */
export interface EventDeadLetter {
  kind: typeof DEAD_LETTER_KIND;
  v: typeof DEAD_LETTER_VERSION;
  /** The stream the event was read from: the act stream, or a `streams` entry's (see `origin`). */
  stream: string;
  /**
   * `act` (also when absent: entries written before it): an envelope of the act stream. `stream`: a record of a
   * `streams` entry, any producer's bytes; redrive never puts it on an act stream.
   */
  origin?: 'act' | 'stream';
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber?: number;
  /** The record's; its sha256 (hex) when Kinesis refuses it (a KPL user record's key: empty, or too long). */
  partitionKey: string;
  /** The event's envelope id, when it had one. */
  id?: string;
  pattern: string;
  /** Handler attempts made (1 with KinesisDeadLetterError). */
  attempts: number;
  /** The last error's message, cut (errorForLog). */
  error: string;
  /** When it was dead-lettered (ISO 8601). */
  at: string;
  /** The record's bytes as received, base64 (a signed envelope keeps its signature); with `parts`, a slice. */
  data: string;
  /**
   * An entry too large for one Kinesis record (its bytes past about 760 KiB: base64 grows them by a third) is
   * written as `parts` records, `part` 1 to `parts`, in order under one partition key: join their `data`.
   */
  part?: number;
  parts?: number;
}

/** Parts of one entry at the most: enough for any record Kinesis takes (1 MiB, base64 in parts of ~1 MiB). */
const MAX_PARTS = 4;

export function encodeDeadLetter(entry: Omit<EventDeadLetter, 'kind' | 'v'>): Buffer {
  return Buffer.from(JSON.stringify({ kind: DEAD_LETTER_KIND, v: DEAD_LETTER_VERSION, ...entry }));
}

/**
 * The entry as dead-letter records of at most `room` bytes each: one, or its parts (see `parts`). A record too
 * large for Kinesis would fail on every retry, and its shard would wait for good.
 */
export function encodeDeadLetterRecords(entry: Omit<EventDeadLetter, 'kind' | 'v'>, room: number): Buffer[] {
  const whole = encodeDeadLetter(entry);
  if (whole.length <= room) return [whole];
  const header = encodeDeadLetter({ ...entry, data: '', part: MAX_PARTS, parts: MAX_PARTS }).length;
  // Slices of whole base64 quanta (4 characters, 1 byte each in JSON): each one is base64 on its own.
  const slice = Math.floor((room - header) / 4) * 4;
  const parts = Math.ceil(entry.data.length / slice);
  return Array.from({ length: parts }, (_, i) =>
    encodeDeadLetter({ ...entry, part: i + 1, parts, data: entry.data.slice(i * slice, (i + 1) * slice) }),
  );
}

const isShortString = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_CHARS;

/** A dead-letter record of ours, or undefined for anything else (redrive refuses it). */
export function parseDeadLetter(bytes: Uint8Array): EventDeadLetter | undefined {
  if (bytes.length > MAX_DATA_BASE64_CHARS + 16 * MAX_FIELD_CHARS) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  if (entry.kind !== DEAD_LETTER_KIND || entry.v !== DEAD_LETTER_VERSION) return undefined;
  const strings = [entry.stream, entry.shardId, entry.sequenceNumber, entry.partitionKey, entry.pattern];
  if (!strings.every(isShortString) || typeof entry.error !== 'string' || typeof entry.at !== 'string')
    return undefined;
  if (entry.id !== undefined && !isSafeId(entry.id)) return undefined;
  if (entry.origin !== undefined && entry.origin !== 'act' && entry.origin !== 'stream') return undefined;
  if (!Number.isSafeInteger(entry.attempts) || (entry.attempts as number) < 1) return undefined;
  if (entry.parts !== undefined || entry.part !== undefined) {
    const { part, parts } = entry as { part: unknown; parts: unknown };
    const counts = Number.isSafeInteger(part) && Number.isSafeInteger(parts);
    if (
      !counts ||
      (part as number) < 1 ||
      (part as number) > (parts as number) ||
      (parts as number) > MAX_PARTS
    )
      return undefined;
  }
  const { data } = entry;
  if (typeof data !== 'string' || data.length === 0 || data.length > MAX_DATA_BASE64_CHARS) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return undefined;
  return entry as unknown as EventDeadLetter;
}
