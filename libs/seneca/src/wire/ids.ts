import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** Bytes at or above this are dropped: 252 = 7 * 36, so every character is equally likely. */
const UNBIASED_LIMIT = 252;

/** A Seneca-style nid: `length` characters of [0-9a-z], from crypto randomness. */
export function senecaNid(length = 12): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += ALPHABET[byte % 36];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A message id as Seneca writes it: `<mi>/<tx>`; `tx` continues the caller's transaction when given. */
export function newSenecaMessageId(tx: string = senecaNid()): string {
  return `${senecaNid()}/${tx}`;
}

/** The parts of a message id; an id without `/` (custom ids are allowed) has an empty tx. */
export function parseSenecaMessageId(id: string): { mi: string; tx: string } {
  const slash = id.indexOf('/');
  return slash < 0 ? { mi: id, tx: '' } : { mi: id.slice(0, slash), tx: id.slice(slash + 1) };
}

/** An instance id in Seneca's `<nid>/<start ms>/<pid>/<version>/<tag>` style. */
export function newSenecaInstanceId(): string {
  return `${senecaNid()}/${Date.now()}/${process.pid}/nest-kinesis/C`;
}

let processInstanceId: string | undefined;

/**
 * The instance id this process uses on both sides (server `accept`, client `origin` and `track`), unless
 * overridden: an act that went out of this process and comes back to it is then recognised as a loop.
 */
export function defaultSenecaInstanceId(): string {
  return (processInstanceId ??= newSenecaInstanceId());
}
