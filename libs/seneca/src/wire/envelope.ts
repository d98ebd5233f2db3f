/**
 * Seneca 3.x transport envelopes on Kinesis (see docs in /work/shared/reference/seneca-envelopes.md).
 *
 *   legacy act   { id: '<mi>/<tx>', kind: 'act', origin, track, time: { client_sent }, act, sync, msg$ }
 *   legacy reply { id, kind: 'res', origin, accept, track, time: { client_sent, listen_recv, listen_sent },
 *                  sync, res, error? }
 *   next-gen act the act's own fields + meta$: { id, mi, tx, sync, instance, custom, pattern, ... }
 *   next-gen reply the result's fields + meta$: { id, mi, tx, sync, instance: <replier>, origin, track,
 *                  error?: true, empty?: true } (an array travels as { array$: [...] }, as Seneca's web
 *                  transport does)
 *
 * `res` is always an object, an array or null: Seneca turns a scalar result into `{}` at its client, so a
 * scalar is sent as `{ value: <scalar> }` instead of being lost; `undefined` is sent as null.
 */
import { isSafeId } from '../../../kinesis/src/index.js';
import { parseSenecaMessageId } from './seneca-ids.js';

export interface SenecaErrorInfo {
  code: string;
  message: string;
  name: string;
  details: Record<string, unknown>;
  /** Tells the Seneca client to keep `code` and `message` instead of wrapping them as act_execute. */
  seneca: true;
}

/** An act as read from the act stream, either format. */
export interface SenecaAct {
  format: 'legacy' | 'next';
  id: string;
  mi: string;
  tx: string;
  /** The calling instance's id (legacy `origin`, next-gen `meta$.instance`). */
  origin: string | undefined;
  /** The instances the act went through, the caller last. */
  track: string[];
  /** A reply is written only when this is exactly true. */
  sync: boolean;
  clientSent: number;
  /** The act's own fields (pattern and data together, `$` keys included). */
  act: Record<string, unknown>;
  custom: Record<string, unknown> | undefined;
  /** The next-gen `meta$` as received. */
  meta?: Record<string, unknown>;
}

export interface SenecaReply {
  id: string;
  kind: 'res';
  origin?: string;
  accept?: string;
  track?: string[];
  time?: Record<string, number>;
  sync?: boolean;
  res: unknown;
  error?: Partial<SenecaErrorInfo> & Record<string, unknown>;
}

/** A record that is not a usable Seneca envelope. The reason never quotes the payload. */
export class InvalidSenecaEnvelopeError extends Error {
  constructor(readonly reason: string) {
    super(`invalid Seneca envelope: ${reason}`);
    this.name = 'InvalidSenecaEnvelopeError';
  }
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether a decoded JSON object is a Seneca envelope rather than a native v1 one: `meta$` (next-gen) or
 * `kind` (legacy) say so; a native envelope has `v`; an `act` field without either is a broken Seneca act.
 */
export function looksLikeSeneca(raw: Record<string, unknown>): boolean {
  if (isPlainObject(raw.meta$) || 'kind' in raw) return true;
  return !('v' in raw) && 'act' in raw;
}

/** Longest instance id accepted in origin, instance and track (Seneca's are ~45 characters). */
export const MAX_INSTANCE_ID_LENGTH = 256;
/** Most hops accepted in a track. */
export const MAX_TRACK_LENGTH = 64;

/**
 * Ids are kept in the dedupe window and logged: 1-128 safe characters (isSafeId; Seneca's are
 * `<12>/<12>` of [0-9a-z]), else the act is refused, unanswered (an unsafe id is no caller's).
 */
function readId(value: unknown): string {
  if (!isSafeId(value)) {
    throw new InvalidSenecaEnvelopeError(value === null ? 'id is null' : 'missing or invalid id');
  }
  return value;
}

const isInstanceId = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= MAX_INSTANCE_ID_LENGTH;

function readTrack(value: unknown, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length > MAX_TRACK_LENGTH || !value.every(isInstanceId))
    throw new InvalidSenecaEnvelopeError('track is not a bounded list of instance ids');
  return value;
}

function readOrigin(value: unknown, field: string): string | undefined {
  if (value !== undefined && !isInstanceId(value))
    throw new InvalidSenecaEnvelopeError(`${field} is not a bounded string`);
  return value;
}

/** A next-gen `meta$.mi` / `meta$.tx` when it is a safe id, else the part of the message id. */
const safePart = (value: unknown, fallback: string) => (isSafeId(value) ? value : fallback);

const readCustom = (value: unknown) => (isPlainObject(value) ? value : undefined);

/** Validates a Seneca act (either format); throws InvalidSenecaEnvelopeError. */
export function decodeSenecaAct(raw: Record<string, unknown>): SenecaAct {
  if (isPlainObject(raw.meta$)) return decodeNextGen(raw, raw.meta$);
  if (!('kind' in raw)) throw new InvalidSenecaEnvelopeError('missing kind');
  if (raw.kind !== 'act') throw new InvalidSenecaEnvelopeError('kind is not "act"');
  const id = readId(raw.id);
  if (!isPlainObject(raw.act)) throw new InvalidSenecaEnvelopeError('act is not an object');
  const origin = readOrigin(raw.origin, 'origin');
  const time = isPlainObject(raw.time) ? raw.time : {};
  return {
    format: 'legacy',
    id,
    ...parseSenecaMessageId(id),
    origin,
    track: readTrack(raw.track, []),
    sync: raw.sync === true,
    clientSent: typeof time.client_sent === 'number' ? time.client_sent : 0,
    act: raw.act,
    custom: readCustom(raw.act.custom$),
  };
}

function decodeNextGen(raw: Record<string, unknown>, meta: Record<string, unknown>): SenecaAct {
  const id = readId(meta.id);
  const { meta$: _meta, ...act } = raw;
  const origin = readOrigin(meta.instance, 'meta$.instance');
  const parsed = parseSenecaMessageId(id);
  return {
    format: 'next',
    id,
    mi: safePart(meta.mi, parsed.mi),
    tx: safePart(meta.tx, parsed.tx),
    origin,
    // Next-gen meta has no track: the sender is the only hop known (a `track` list is read when present).
    track: readTrack(meta.track, origin ? [origin] : []),
    sync: meta.sync === true,
    clientSent: typeof meta.start === 'number' ? meta.start : 0,
    act,
    custom: readCustom(meta.custom) ?? readCustom(act.custom$),
    meta,
  };
}

/** The handler's view of an act: its fields without the `$`-suffixed directives (custom$, tx$, ...). */
export function withoutDirectives(act: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(act).filter(([key]) => !key.endsWith('$')));
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

/** The reply to `act`: its result, or `error` (then `res` is null). `accept` is the replier's instance id. */
export function encodeSenecaReply(
  act: SenecaAct,
  outcome: { res?: unknown; error?: SenecaErrorInfo },
  accept: string,
  timing: ReplyTiming,
): Buffer {
  const res = outcome.error ? null : toSenecaResult(outcome.res);
  const reply =
    act.format === 'legacy'
      ? {
          id: act.id,
          kind: 'res',
          origin: act.origin,
          accept,
          track: act.track,
          time: {
            client_sent: act.clientSent,
            listen_recv: timing.listenRecv,
            listen_sent: timing.listenSent,
          },
          sync: act.sync,
          res,
          ...(outcome.error ? { error: outcome.error } : {}),
        }
      : nextGenReply(act, res, outcome.error, accept, timing);
  return Buffer.from(JSON.stringify(reply), 'utf8');
}

function nextGenReply(
  act: SenecaAct,
  res: Record<string, unknown> | unknown[] | null,
  error: SenecaErrorInfo | undefined,
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

export interface OutgoingAct {
  id: string;
  origin: string;
  track: string[];
  act: Record<string, unknown>;
  sync: boolean;
  /** Seneca's pattern string of the client (`msg$.pat`), '' for an unpinned client. */
  pat: string;
}

/** A legacy act exactly as seneca-transport's prepare_request lays it out. */
export function encodeSenecaAct(o: OutgoingAct): Buffer {
  const { mi, tx } = parseSenecaMessageId(o.id);
  const envelope = {
    id: o.id,
    kind: 'act',
    origin: o.origin,
    track: o.track,
    time: { client_sent: Date.now() },
    act: o.act,
    sync: o.sync,
    msg$: { vin: 1, sid: o.origin, out: true, mid: mi, cid: tx, snc: o.sync, pat: o.pat },
  };
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

/** A legacy reply read back by a client; throws InvalidSenecaEnvelopeError for anything else. */
export function decodeSenecaReply(data: Buffer): SenecaReply {
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString('utf8'));
  } catch {
    throw new InvalidSenecaEnvelopeError('not JSON');
  }
  if (!isPlainObject(raw)) throw new InvalidSenecaEnvelopeError('not a JSON object');
  if (raw.kind !== 'res') throw new InvalidSenecaEnvelopeError('kind is not "res"');
  readId(raw.id);
  if (raw.error !== undefined && raw.error !== null && !isPlainObject(raw.error))
    throw new InvalidSenecaEnvelopeError('error is not an object');
  return raw as unknown as SenecaReply;
}
