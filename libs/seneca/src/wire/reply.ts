/**
 * Seneca 3.x replies on Kinesis (acts and what envelopes share: envelope.ts).
 *
 *   legacy reply   { id, kind: 'res', origin, accept, track, time: { client_sent, listen_recv, listen_sent },
 *                    sync, res, error? }
 *   next-gen reply the result's fields + meta$: { id, mi, tx, sync, instance: <replier>, origin, track,
 *                    error?: true, empty?: true } (an array travels as { array$: [...] }, as Seneca's web
 *                    transport does)
 *
 * `res` is always an object, an array or null: Seneca turns a scalar result into `{}` at its client, so a
 * scalar is sent as `{ value: <scalar> }` instead of being lost; `undefined` is sent as null.
 */
import {
  encodeSenecaEnvelope,
  InvalidSenecaEnvelopeError,
  isPlainObject,
  parseSenecaJson,
  readSenecaId,
  type SenecaAct,
} from './envelope.js';

export interface SenecaErrorInfo {
  code: string;
  message: string;
  name: string;
  details: Record<string, unknown>;
  /** Tells the Seneca client to keep `code` and `message` instead of wrapping them as act_execute. */
  seneca: true;
}

/** A legacy reply on the wire: what seneca-transport's `handle_request` responds and `handle_response` reads. */
export interface SenecaReplyEnvelope {
  id: string;
  kind: 'res';
  origin?: string;
  accept?: string;
  track?: string[];
  time?: Record<string, number>;
  sync?: boolean;
  res?: unknown;
  error?: Partial<SenecaErrorInfo> & Record<string, unknown>;
  [field: string]: unknown;
}

/**
 * The one table of fixed texts for Seneca's error codes (seneca-transport renders them as `seneca: ` + the
 * text): what a replier says for these codes instead of anything from the act or the failed action. The
 * plugin's listener and the Nest server's Seneca protocol both read it; `reply_too_large` is this package's
 * own code (a reply over the Kinesis record limit).
 */
export const SENECA_ERROR_TEXTS = Object.freeze({
  no_data: 'The message has no data.',
  invalid_kind_act: 'Inbound messages should have kind "act".',
  no_message_id: 'The message has no identifier.',
  message_loop: 'Inbound message rejected as looping back to this server.',
  act_not_found: 'No matching action pattern found.',
  act_execute: 'Action failed.',
  reply_too_large: 'The reply exceeds the Kinesis record limit.',
} as const);

export type SenecaErrorCode = keyof typeof SENECA_ERROR_TEXTS;

/** The fixed text of one of Seneca's codes; undefined for any other code (own entries only: not `constructor`). */
export function senecaErrorText(code: string): string | undefined {
  return Object.hasOwn(SENECA_ERROR_TEXTS, code) ? SENECA_ERROR_TEXTS[code as SenecaErrorCode] : undefined;
}

/** A handler's result as Seneca can carry it: objects, arrays and null as they are, scalars as `{ value }`. */
export function toSenecaResult(value: unknown): Record<string, unknown> | unknown[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') return value as Record<string, unknown>;
  return { value };
}

export interface ReplyTiming {
  listenRecv: number;
  listenSent: number;
}

/** What a reply answers with: a result, or an error (then `res` is null). */
export interface ReplyOutcome {
  res?: unknown;
  /** A Seneca error; as a reply's `error` member, copied as it is. */
  error?: SenecaErrorInfo | NonNullable<SenecaReplyEnvelope['error']>;
}

/**
 * The reply to `act`, in its format: its result, or `error` (then `res` is null). `accept` is the replier's
 * instance id. An object, for a caller that still edits it; encodeSenecaReply gives the record's data.
 */
export function senecaReplyFor(
  act: SenecaAct,
  outcome: ReplyOutcome,
  accept: string,
  timing: ReplyTiming,
): Record<string, unknown> {
  const res = outcome.error ? null : toSenecaResult(outcome.res);
  if (act.format === 'next') return nextGenReply(act, res, outcome.error, accept, timing);
  return {
    id: act.id,
    kind: 'res',
    origin: act.origin,
    accept,
    track: act.track,
    time: { client_sent: act.clientSent, listen_recv: timing.listenRecv, listen_sent: timing.listenSent },
    sync: act.sync,
    res,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

/** The reply to `act` as a record's data (UTF-8 JSON). */
export function encodeSenecaReply(
  act: SenecaAct,
  outcome: ReplyOutcome,
  accept: string,
  timing: ReplyTiming,
): Buffer {
  return encodeSenecaEnvelope(senecaReplyFor(act, outcome, accept, timing));
}

function nextGenReply(
  act: SenecaAct,
  res: Record<string, unknown> | unknown[] | null,
  error: ReplyOutcome['error'],
  accept: string,
  timing: ReplyTiming,
) {
  const meta = {
    id: act.id,
    mi: act.mi,
    tx: act.tx,
    pattern: act.meta?.pattern,
    sync: act.sync,
    instance: accept,
    origin: act.origin,
    track: act.track,
    time: { client_sent: act.clientSent, listen_recv: timing.listenRecv, listen_sent: timing.listenSent },
    ...(error ? { error: true } : res === null ? { empty: true } : {}),
  };
  if (error) return { ...error, meta$: meta };
  if (res === null) return { meta$: meta };
  return Array.isArray(res) ? { array$: res, meta$: meta } : { ...res, meta$: meta };
}

/**
 * A legacy reply record read back by a client: a JSON object with `kind: 'res'`, a safe id and an object (or no)
 * error; throws InvalidSenecaEnvelopeError for anything else. Whose reply it is (origin, id) is the caller's check.
 */
export function decodeSenecaReply(data: Buffer): SenecaReplyEnvelope {
  const raw = parseSenecaJson(data);
  if (raw.kind !== 'res') throw new InvalidSenecaEnvelopeError('kind is not res');
  readSenecaId(raw.id);
  if (raw.error !== undefined && raw.error !== null && !isPlainObject(raw.error))
    throw new InvalidSenecaEnvelopeError('error is not an object');
  return raw as SenecaReplyEnvelope;
}
