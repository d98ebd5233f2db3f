/**
 * What one record's data is, for `tail`: a native envelope (request, event, reply), a Seneca act or reply, a
 * dead-letter entry, other JSON, UTF-8 text, or bytes. Each format is read by its own codec (the transport's and
 * the Seneca wire module's), so `tail` shows what a server would see. The data is hostile: nothing here throws,
 * and JSON nested deeper than a server accepts is shown as text.
 */
import { jsonDeeperThan } from '../../../kinesis/src/untrusted/index.js';
import {
  decodeSenecaAct,
  decodeSenecaReply,
  InvalidSenecaEnvelopeError,
  isPlainObject,
  looksLikeSeneca,
  withoutDirectives,
} from '../../../seneca/src/wire/index.js';
import {
  decodeReply,
  decodeRequestObject,
  InvalidEnvelopeError,
} from '../../../transport/src/native/envelope.js';
import { parseDeadLetter } from '../../../transport/src/shared/dead-letters.js';

export type RecordKind =
  | 'request'
  | 'event'
  | 'reply'
  | 'invalid-envelope'
  | 'seneca-act'
  | 'seneca-reply'
  | 'invalid-seneca'
  | 'dead-letter'
  | 'json'
  | 'text'
  | 'binary';

export interface DecodedRecord {
  kind: RecordKind;
  /** Native pattern, Seneca pattern (the act's string fields), or a dead-letter entry's pattern. */
  pattern?: string;
  id?: string;
  /** Why an envelope is invalid (the codec's fixed text, never record content). */
  problem?: string;
  /** The payload: a JSON value, a string (text), or base64 (binary). */
  data: unknown;
}

/** Deeper JSON is shown as text: what a server would refuse to walk. */
const MAX_JSON_DEPTH = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeRecordData(data: Buffer): DecodedRecord {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { kind: 'binary', data: data.toString('base64') };
  }
  const value = parseJson(data, text);
  if (value === undefined) return { kind: 'text', data: text };
  if (!isPlainObject(value.json)) return { kind: 'json', data: value.json };
  try {
    return decodeObject(data, value.json);
  } catch (error) {
    // The codecs throw only their own errors; anything else is a bug here, shown rather than fatal.
    return { kind: 'json', data: value.json, problem: `not decoded: ${(error as Error)?.name}` };
  }
}

function parseJson(data: Buffer, text: string): { json: unknown } | undefined {
  const start = text.trimStart()[0];
  if (start === undefined || !'{["-0123456789tfn'.includes(start)) return undefined;
  if (jsonDeeperThan(data, MAX_JSON_DEPTH)) return undefined;
  try {
    return { json: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

function decodeObject(data: Buffer, raw: Record<string, unknown>): DecodedRecord {
  const deadLetter = raw.kind !== undefined && raw.v !== undefined ? parseDeadLetter(data) : undefined;
  if (deadLetter) {
    const { data: _original, kind: _kind, v: _v, pattern, id, ...entry } = deadLetter;
    return { kind: 'dead-letter', pattern, id, data: entry };
  }
  if (looksLikeSeneca(raw)) return decodeSeneca(data, raw);
  if ('v' in raw) return decodeNative(data, raw);
  return { kind: 'json', data: raw };
}

function decodeSeneca(data: Buffer, raw: Record<string, unknown>): DecodedRecord {
  try {
    if (raw.kind === 'res') {
      const reply = decodeSenecaReply(data);
      return { kind: 'seneca-reply', id: reply.id, data: reply.error ? { error: reply.error } : reply.res };
    }
    const act = decodeSenecaAct(raw);
    const fields = withoutDirectives(act.act);
    return { kind: 'seneca-act', id: act.id, pattern: senecaPattern(fields), data: fields };
  } catch (error) {
    if (!(error instanceof InvalidSenecaEnvelopeError)) throw error;
    return { kind: 'invalid-seneca', problem: error.reason, data: raw };
  }
}

/** Seneca's way of writing a pattern: the act's string-valued fields, sorted, as `key:value` pairs. */
function senecaPattern(fields: Record<string, unknown>): string {
  return Object.keys(fields)
    .filter((key) => typeof fields[key] === 'string')
    .sort()
    .map((key) => `${key}:${fields[key] as string}`)
    .join(',');
}

function decodeNative(data: Buffer, raw: Record<string, unknown>): DecodedRecord {
  try {
    if (!('pattern' in raw)) {
      const reply = decodeReply(data);
      return {
        kind: 'reply',
        id: reply.id,
        data: reply.err !== undefined ? { err: reply.err } : reply.response,
      };
    }
    const envelope = decodeRequestObject(raw);
    const pattern =
      typeof envelope.pattern === 'string' ? envelope.pattern : JSON.stringify(envelope.pattern);
    return { kind: envelope.replyTo ? 'request' : 'event', id: envelope.id, pattern, data: envelope.data };
  } catch (error) {
    if (!(error instanceof InvalidEnvelopeError)) throw error;
    return {
      kind: 'invalid-envelope',
      problem: error.message,
      ...(error.id ? { id: error.id } : {}),
      data: raw,
    };
  }
}
