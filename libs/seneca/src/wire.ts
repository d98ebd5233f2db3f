/**
 * The wire contract shared with any other implementation (the Nest module speaks it too):
 * a request is one record on the act stream with partition key `<topic>_act`, its data the UTF-8 JSON of what
 * seneca-transport's `prepare_request` returns; a reply is one record on the res stream with partition key
 * `<topic>_res` (no explicit hash key), its data the UTF-8 JSON of what `handle_request` responds.
 */
import { isSafeId, partitionKeyToHashKey } from '../../kinesis/src/index.js';
import { InvalidReplyRecordError, InvalidRequestRecordError } from './errors.js';
import { MAX_INSTANCE_ID_LENGTH, MAX_TRACK_LENGTH } from '../../transport/src/seneca/seneca-envelope.js';
import type { RequestEnvelope } from './seneca-types.js';

export const actPartitionKey = (topic: string): string => `${topic}_act`;
export const resPartitionKey = (topic: string): string => `${topic}_res`;

/** The hash key a client reads its replies at: the shard of the res stream that `<topic>_res` maps to. */
export const replyHashKey = (topic: string): bigint => partitionKeyToHashKey(resPartitionKey(topic));

export function encodeEnvelope(envelope: object): string {
  return JSON.stringify(envelope);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseObject(data: Buffer): Record<string, unknown> | 'not JSON' | 'not an object' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  return isObject(parsed) ? parsed : 'not an object';
}

// The same bounds as the Nest server's decoder: one definition.
export { MAX_INSTANCE_ID_LENGTH, MAX_TRACK_LENGTH } from '../../transport/src/seneca/seneca-envelope.js';

const isBoundedText = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= MAX_INSTANCE_ID_LENGTH;
const isBoundedTrack = (value: unknown): boolean =>
  Array.isArray(value) && value.length <= MAX_TRACK_LENGTH && value.every(isBoundedText);

/**
 * A request record's envelope. Throws InvalidRequestRecordError for what `handle_request` could not serve:
 * without an id a reply reaches nobody, and without an `act` object it throws.
 */
export function decodeRequest(data: Buffer): RequestEnvelope {
  const parsed = parseObject(data);
  if (typeof parsed === 'string') throw new InvalidRequestRecordError(parsed);
  if (parsed.kind === undefined) throw new InvalidRequestRecordError('missing kind');
  if (parsed.kind !== 'act') throw new InvalidRequestRecordError('kind is not act');
  if (parsed.id === null) throw new InvalidRequestRecordError('id is null');
  if (typeof parsed.id !== 'string' || parsed.id === '')
    throw new InvalidRequestRecordError('id is not a string');
  // An id is kept in the dedupe window and echoed in logs: bounded, or the act is refused (an unsafe id
  // cannot be answered either: the caller that made it would not be Seneca).
  if (!isSafeId(parsed.id)) throw new InvalidRequestRecordError('id is not a safe id');
  if (!isObject(parsed.act)) throw new InvalidRequestRecordError('act is not an object');
  // seneca-transport refuses it too (data_error), but logs the whole record at error first.
  if (parsed.error) throw new InvalidRequestRecordError('an act carries an error member');
  if (parsed.origin !== undefined && !isBoundedText(parsed.origin))
    throw new InvalidRequestRecordError('origin is not a bounded string');
  if (parsed.track !== undefined && !isBoundedTrack(parsed.track))
    throw new InvalidRequestRecordError('track is not a bounded list of instance ids');
  return parsed as RequestEnvelope;
}

/** A reply record's envelope; `handle_response` checks the rest (kind, origin, id). */
export function decodeReply(data: Buffer): Record<string, unknown> {
  const parsed = parseObject(data);
  if (typeof parsed === 'string') throw new InvalidReplyRecordError(parsed);
  return parsed;
}
