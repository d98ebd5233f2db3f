/**
 * Rules for values read from a stream record. Whoever can write a stream can write anything, so a value from a
 * record is bounded before it is kept (ids in dedupe windows, map keys) and cleaned before it reaches a log.
 */

/** Longest id kept from a record (request ids, Seneca ids, dedupe keys). */
export const MAX_ID_LENGTH = 128;

/** Characters an id may hold: letters, digits and `. _ : / + = @ -` (UUIDs, Seneca `<mi>/<tx>`, ULIDs, base64url). */
const SAFE_ID = new RegExp(`^[A-Za-z0-9._:/+=@-]{1,${MAX_ID_LENGTH}}$`);

/** Whether `value` is an id we keep: a string of 1-128 safe characters. */
export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID.test(value);
}

/** Default length of a record-derived value in a log line. */
export const MAX_LOGGED_CHARS = 200;

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators and bidi overrides.
// eslint-disable-next-line no-control-regex
const UNSAFE_FOR_LOGS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A value from a record, fit for a log line: a string form, control characters replaced by `?`, cut to
 * `max` characters with the original length noted. Never throws (a value that cannot be stringified is named
 * by its type).
 */
export function forLog(value: unknown, max = MAX_LOGGED_CHARS): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = `<${typeof value}>`;
  }
  const clean = (text.length > max ? text.slice(0, max) : text).replace(UNSAFE_FOR_LOGS, '?');
  return text.length > max ? `${clean}...(${text.length} chars)` : clean;
}

/** The message of an error, fit for a log line (an error's message may quote record content). */
export function errorForLog(error: unknown, max = MAX_LOGGED_CHARS): string {
  return forLog(error instanceof Error ? error.message : error, max);
}
