/**
 * The trace context a record carries when it is a native transport envelope (`{"v":1,...,"metadata":{...}}`):
 * what a reader of the act stream that is not the transport (the connector) links its spans to. Bounded: only
 * records that start like an envelope and are at most MAX_LINKED_RECORD_BYTES are parsed.
 */
const ENVELOPE_START = Buffer.from('{"v":1,', 'latin1');
const METADATA_KEY = Buffer.from('"metadata":{', 'latin1');

/** Larger records are not parsed for their trace context (a link is not worth a large parse). */
export const MAX_LINKED_RECORD_BYTES = 64 * 1024;
const MAX_METADATA_ENTRIES = 32;

export function envelopeTraceCarrier(data: Uint8Array): Record<string, string> | undefined {
  if (data.length > MAX_LINKED_RECORD_BYTES || data.length < ENVELOPE_START.length) return undefined;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  // Cheap checks first: most records of a stream are not envelopes, or carry no metadata.
  if (!bytes.subarray(0, ENVELOPE_START.length).equals(ENVELOPE_START) || !bytes.includes(METADATA_KEY))
    return undefined;
  let metadata: unknown;
  try {
    metadata = (JSON.parse(bytes.toString('utf8')) as { metadata?: unknown }).metadata;
  } catch {
    return undefined;
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return undefined;
  const entries = Object.entries(metadata).slice(0, MAX_METADATA_ENTRIES);
  return Object.fromEntries(entries.filter(([, value]) => typeof value === 'string'));
}
