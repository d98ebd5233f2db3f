/**
 * Seneca 3.x transport envelopes on Kinesis: the acts, and what every envelope shares (the JSON, the error, the
 * bounds). Replies are in reply.ts. See docs in /work/shared/reference/seneca-envelopes.md.
 *
 *   legacy act   { id: '<mi>/<tx>', kind: 'act', origin, track, time: { client_sent }, act, sync, msg$ }
 *   next-gen act the act's own fields + meta$: { id, mi, tx, sync, instance, custom, pattern, ... }
 *
 * A record's data is the UTF-8 JSON of one envelope: encoders return that Buffer (what a producer puts),
 * decoders read it (or, for an act, the object already parsed from it).
 */
import { isSafeId, KinesisError } from '../../../kinesis/src/index.js';
import { parseSenecaMessageId } from './ids.js';

/** Why a record is not a usable Seneca envelope: fixed texts, never the payload. */
export type InvalidSenecaEnvelopeReason =
  | 'not JSON'
  | 'not an object'
  | 'missing kind'
  | 'kind is not act'
  | 'kind is not res'
  | 'id is null'
  | 'id is not a string'
  | 'id is not a safe id'
  | 'act is not an object'
  | 'an act carries an error member'
  | 'origin is not a bounded string'
  | 'meta$.instance is not a bounded string'
  | 'track is not a bounded list of instance ids'
  | 'error is not an object';

/** A record that is not a usable Seneca envelope. The reason never quotes the payload. */
export class InvalidSenecaEnvelopeError extends KinesisError {
  constructor(readonly reason: InvalidSenecaEnvelopeReason) {
    super(`invalid Seneca envelope: ${reason}`);
  }
}

/** A legacy act on the wire: what seneca-transport's `prepare_request` returns and `handle_request` takes. */
export interface SenecaActEnvelope {
  id: string;
  kind: 'act';
  origin?: string;
  track?: string[];
  time?: Record<string, number>;
  act: Record<string, unknown>;
  sync?: boolean;
  [field: string]: unknown;
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
  /** The envelope as received (validated as above; other fields untouched). */
  envelope: Record<string, unknown>;
}

/** A legacy act, its envelope as seneca-transport's `handle_request` takes it. */
export type LegacySenecaAct = SenecaAct & { format: 'legacy'; envelope: SenecaActEnvelope };

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A record's data as a JSON object; throws InvalidSenecaEnvelopeError ('not JSON', 'not an object'). */
export function parseSenecaJson(data: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new InvalidSenecaEnvelopeError('not JSON');
  }
  if (!isPlainObject(parsed)) throw new InvalidSenecaEnvelopeError('not an object');
  return parsed;
}

/** An envelope as a record's data: its UTF-8 JSON (a Buffer, as the producer takes it). */
export function encodeSenecaEnvelope(envelope: object): Buffer {
  return Buffer.from(JSON.stringify(envelope), 'utf8');
}

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
 * `<12>/<12>` of [0-9a-z]), else the envelope is refused, unanswered (an unsafe id is no caller's).
 */
export function readSenecaId(value: unknown): string {
  if (value === null) throw new InvalidSenecaEnvelopeError('id is null');
  if (typeof value !== 'string') throw new InvalidSenecaEnvelopeError('id is not a string');
  if (!isSafeId(value)) throw new InvalidSenecaEnvelopeError('id is not a safe id');
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

function readOrigin(
  value: unknown,
  reason: 'origin is not a bounded string' | 'meta$.instance is not a bounded string',
): string | undefined {
  if (value !== undefined && !isInstanceId(value)) throw new InvalidSenecaEnvelopeError(reason);
  return value;
}

/** A next-gen `meta$.mi` / `meta$.tx` when it is a safe id, else the part of the message id. */
const safePart = (value: unknown, fallback: string) => (isSafeId(value) ? value : fallback);

const readCustom = (value: unknown) => (isPlainObject(value) ? value : undefined);

/** Validates a Seneca act (either format: `meta$` makes it next-gen); throws InvalidSenecaEnvelopeError. */
export function decodeSenecaAct(raw: Record<string, unknown>): SenecaAct {
  return isPlainObject(raw.meta$) ? decodeNextGen(raw, raw.meta$) : decodeLegacy(raw);
}

/**
 * A legacy act record for seneca-transport's `handle_request`: next-gen acts are refused ('missing kind'), and so
 * are acts with an `error` member (seneca-transport refuses them too, data_error, but logs the whole record).
 */
export function decodeLegacySenecaAct(data: Buffer): LegacySenecaAct {
  const act = decodeLegacy(parseSenecaJson(data));
  if (act.envelope.error) throw new InvalidSenecaEnvelopeError('an act carries an error member');
  return act;
}

function decodeLegacy(raw: Record<string, unknown>): LegacySenecaAct {
  if (raw.kind === undefined) throw new InvalidSenecaEnvelopeError('missing kind');
  if (raw.kind !== 'act') throw new InvalidSenecaEnvelopeError('kind is not act');
  const id = readSenecaId(raw.id);
  if (!isPlainObject(raw.act)) throw new InvalidSenecaEnvelopeError('act is not an object');
  const origin = readOrigin(raw.origin, 'origin is not a bounded string');
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
    envelope: raw as SenecaActEnvelope,
  };
}

function decodeNextGen(raw: Record<string, unknown>, meta: Record<string, unknown>): SenecaAct {
  const id = readSenecaId(meta.id);
  const { meta$: _meta, ...act } = raw;
  const origin = readOrigin(meta.instance, 'meta$.instance is not a bounded string');
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
    envelope: raw,
  };
}

/** The handler's view of an act: its fields without the `$`-suffixed directives (custom$, tx$, ...). */
export function withoutDirectives(act: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(act).filter(([key]) => !key.endsWith('$')));
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
  return encodeSenecaEnvelope({
    id: o.id,
    kind: 'act',
    origin: o.origin,
    track: o.track,
    time: { client_sent: Date.now() },
    act: o.act,
    sync: o.sync,
    msg$: { vin: 1, sid: o.origin, out: true, mid: mi, cid: tx, snc: o.sync, pat: o.pat },
  });
}
