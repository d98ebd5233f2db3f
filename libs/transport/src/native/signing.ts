/**
 * Optional envelope signing for the native protocol: HMAC-SHA256 over the exact bytes of the record, with a
 * key the user supplies, named by a key id carried in the record. The signature is the envelope's last member:
 *
 *   {"v":1,"id":"...",...,"sig":{"kid":"<key id>","mac":"<base64url HMAC>"}}
 *
 * where mac = HMAC-SHA256(key, "req\n" | "res\n" + stream + "\n" + the envelope's JSON without the sig
 * member), and stream is the stream the record is written to: the act stream for a request or event, the
 * replyTo stream for a reply. The verifier takes the signature off the end of the raw bytes (no parse, no
 * re-serialization), so any writer that appends it after JSON-encoding its envelope interoperates. The
 * "req"/"res" prefix binds a MAC to its direction (a reply copied onto the act stream does not verify as a
 * request, nor a request as a reply), the stream name to its stream (a signed request copied onto another act
 * stream served with the same key does not verify there).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { forLog, KinesisError, type Logger } from '../../../kinesis/src/index.js';
import type { SigningOptions } from '../shared/options.js';

export type { SigningOptions } from '../shared/options.js';

/** What is being signed: a request or event on the act stream, or a reply on the res stream. */
export type SignedKind = 'request' | 'reply';

/** Why a record's signature was refused. */
export type SignatureRefusal = 'unsigned' | 'unknown-key' | 'bad-mac';

export const MIN_SIGNING_KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MAC_CHARS = 43; // 32 bytes in unpadded base64url
/** The signature member at the very end of a record: `,"sig":{"kid":"…","mac":"…"}}`. */
const SIGNATURE_SUFFIX = /,"sig":\{"kid":"([A-Za-z0-9._-]{1,64})","mac":"([A-Za-z0-9_-]{43})"\}\}$/;
const LONGEST_SUFFIX = ',"sig":{"kid":"","mac":""}}'.length + 64 + MAC_CHARS;
const PURPOSE: Record<SignedKind, string> = { request: 'req\n', reply: 'res\n' };

/** A record refused for its signature: nothing in it was acted on, and no reply was written. */
export class SignatureError extends KinesisError {
  constructor(
    readonly reason: SignatureRefusal,
    /** The key id the record named (record-derived: pass it through forLog before logging). */
    readonly keyId?: string,
  ) {
    super(
      reason === 'unsigned'
        ? 'record without a signature refused (signing is required)'
        : reason === 'unknown-key'
          ? 'record signed with an unknown key id refused'
          : 'record with a signature that does not verify refused',
    );
  }
}

/** The signing options are unusable (a key too short, a bad key id): names the option, never a key. */
export class SigningOptionsError extends KinesisError {}

/** Signs outgoing envelopes with one key and verifies incoming records against all configured keys. */
export class EnvelopeSigner {
  readonly keyId: string;
  readonly required: boolean;
  private readonly keys = new Map<string, Buffer>();

  /** Undefined when `options` is undefined (signing off); throws SigningOptionsError when they are unusable. */
  static from(options: SigningOptions | undefined, optionName = 'signing'): EnvelopeSigner | undefined {
    return options === undefined ? undefined : new EnvelopeSigner(options, optionName);
  }

  constructor(options: SigningOptions, optionName = 'signing') {
    const fail = (problem: string) => new SigningOptionsError(`${optionName}: ${problem}`);
    if (typeof options !== 'object' || options === null || typeof options.keys !== 'object' || !options.keys)
      throw fail('`keys` must be an object of key id -> key');
    for (const [id, key] of Object.entries(options.keys)) {
      if (!KEY_ID.test(id))
        throw fail(`key id "${id.slice(0, 64)}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
      const bytes =
        typeof key === 'string' ? Buffer.from(key, 'utf8') : key instanceof Uint8Array ? key : undefined;
      if (!bytes) throw fail(`keys["${id}"] must be a string or a Buffer`);
      if (bytes.length < MIN_SIGNING_KEY_BYTES)
        throw fail(
          `keys["${id}"] is shorter than ${MIN_SIGNING_KEY_BYTES} bytes (use 32 random bytes or more)`,
        );
      this.keys.set(id, Buffer.from(bytes)); // a copy: later changes to the caller's buffer change nothing
    }
    if (this.keys.size === 0) throw fail('`keys` holds no key');
    if (options.keyId === undefined && this.keys.size > 1)
      throw fail('`keyId` is required with more than one key: name the key this side signs with');
    const keyId = options.keyId ?? this.keys.keys().next().value!;
    if (!this.keys.has(keyId)) throw fail(`keyId "${String(keyId).slice(0, 64)}" is not one of \`keys\``);
    this.keyId = keyId;
    this.required = options.required ?? true;
  }

  /**
   * `json` (a JSON object with at least one member, as JSON.stringify writes it) with the signature appended as
   * its last member, for the stream it is written to.
   */
  sign(kind: SignedKind, stream: string, json: Buffer): Buffer {
    if (json.length < 3 || json[0] !== 0x7b || json[json.length - 1] !== 0x7d)
      throw new TypeError('only a JSON object with at least one member can be signed');
    const mac = this.mac(this.keys.get(this.keyId)!, kind, stream, json.subarray(0, json.length - 1));
    const suffix = `,"sig":{"kid":"${this.keyId}","mac":"${mac}"}}`;
    return Buffer.concat([json.subarray(0, json.length - 1), Buffer.from(suffix, 'latin1')]);
  }

  /**
   * Why `data`, read from `stream`, is refused, or undefined when it is accepted: signed with a configured key
   * for this stream, or unsigned while signing is not required. Never throws, whatever `data` holds; costs one
   * HMAC over the record at most.
   */
  check(kind: SignedKind, stream: string, data: Buffer): SignatureError | undefined {
    // The suffix is ASCII, so latin1 maps its bytes one to one: its length in characters is its length in bytes.
    const tail = data.subarray(Math.max(0, data.length - LONGEST_SUFFIX)).toString('latin1');
    const match = SIGNATURE_SUFFIX.exec(tail);
    if (!match) return this.required ? new SignatureError('unsigned') : undefined;
    const [suffix, keyId, mac] = match;
    const key = this.keys.get(keyId);
    if (!key) return new SignatureError('unknown-key', keyId);
    const expected = this.mac(key, kind, stream, data.subarray(0, data.length - suffix.length));
    // Compared as text: base64url's last character has spare bits, so two texts can decode to the same bytes.
    const same = timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(mac, 'latin1'));
    return same ? undefined : new SignatureError('bad-mac', keyId);
  }

  /** The MAC of the unsigned envelope `body + "}"` (body: the JSON without its closing brace) on `stream`. */
  private mac(key: Buffer, kind: SignedKind, stream: string, body: Buffer): string {
    return createHmac('sha256', key)
      .update(PURPOSE[kind])
      .update(`${stream}\n`, 'utf8')
      .update(body)
      .update('}')
      .digest('base64url');
  }
}

/** Where refusals are counted (the server's and the client's `stats`). */
export interface SignatureCounters {
  unsigned: number;
  badSignature: number;
}

/**
 * Counts a refused record and logs why at warn (through `logger`: a WarnThrottle bounds the rate): `where` it
 * was and the key id it named, never its payload.
 */
export function reportRefusal(
  refusal: SignatureError,
  counters: SignatureCounters,
  logger: Pick<Logger, 'warn'>,
  where: Record<string, unknown>,
): void {
  if (refusal.reason === 'unsigned') counters.unsigned++;
  else counters.badSignature++;
  logger.warn(refusal.message, {
    ...where,
    reason: refusal.reason,
    ...(refusal.keyId !== undefined ? { keyId: forLog(refusal.keyId, 64) } : {}),
  });
}
