/**
 * Topic naming as seneca-transport 8.x does it (lib/transport-utils.js `resolve_topic` / `listen_topics`):
 * `msgprefix` + the sorted `key=value,` pairs of the pin, every run of non-word characters replaced by `_`;
 * no pin gives `<msgprefix>any`. On Kinesis a topic `t` is the partition key `t_act` for acts and `t_res` for
 * replies; a client reads its replies on the one res-stream shard `t_res` hashes to.
 */
import { partitionKeyToHashKey } from '../../../kinesis/src/index.js';

export const SENECA_MSGPREFIX = 'seneca_';

/** The topic of an unpinned client or listener: `seneca_any` with Seneca's default msgprefix. */
export const senecaAnyTopic = (msgprefix = SENECA_MSGPREFIX): string => `${msgprefix}any`;
export const SENECA_ANY_TOPIC = senecaAnyTopic();

const ACT_SUFFIX = '_act';
const RES_SUFFIX = '_res';

/** `String(value)` the way `Array.prototype.join` renders it (null and undefined become ''). */
const joined = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

/**
 * The topic a client pinned on `pin` sends `args` to: the pin's keys, with the values the act has for them
 * (so a pin `{cmd: '*'}` yields the act's own cmd). With `args` omitted, the pin's own values: the topic of
 * a client pinned exactly on that pattern, which is also what a listener pinned on it listens to.
 */
export function senecaTopic(
  pin: Record<string, unknown>,
  args: Record<string, unknown> = pin,
  msgprefix = SENECA_MSGPREFIX,
): string {
  const pairs = Object.keys(pin)
    .sort()
    .map((key) => `${key}=${joined(args[key])},`)
    .join('');
  return msgprefix + pairs.replace(/[^\w\d]+/g, '_');
}

/** The partition key of an act on `topic`. */
export const actPartitionKey = (topic: string): string => topic + ACT_SUFFIX;
/** The partition key of a reply on `topic` (no explicit hash key: its shard is the MD5 of this key). */
export const resPartitionKey = (topic: string): string => topic + RES_SUFFIX;

/** The hash key a client reads its replies at: the res-stream shard that `<topic>_res` maps to. */
export const replyHashKey = (topic: string): bigint => partitionKeyToHashKey(resPartitionKey(topic));

/** The topic of an act record's partition key, or undefined when the key is not an act key. */
export function topicOfActKey(partitionKey: string): string | undefined {
  return partitionKey.endsWith(ACT_SUFFIX) ? partitionKey.slice(0, -ACT_SUFFIX.length) : undefined;
}

const isGlob = (value: unknown): value is string => typeof value === 'string' && /[*?]/.test(value);

/** True when a pin's topic depends on the act (a value with a glob `*` or `?`), so it is known only per call. */
export function pinHasWildcards(pin: Record<string, unknown>): boolean {
  return Object.values(pin).some(isGlob);
}

function globMatches(glob: string, value: string): boolean {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** Whether an action pattern lies under a pin: every pin key is in the pattern with a matching value (globs too). */
export function patternUnderPin(pattern: Record<string, unknown>, pin: Record<string, unknown>): boolean {
  return Object.entries(pin).every(([key, want]) => {
    const have = pattern[key];
    if (have === undefined) return false;
    return isGlob(want) ? globMatches(want, String(have)) : String(have) === String(want);
  });
}

/** Pattern keys beyond this give only the pattern's own topic (2^keys topics per pattern). */
const MAX_SUBSET_KEYS = 8;

/**
 * The topic of every non-empty subset of the pattern's keys (the whole pattern's last), with the pattern's values:
 * where a Seneca client pinned on that part of the pattern (e.g. `role:math` for `{ role: 'math', cmd: 'sum' }`)
 * sends an act the pattern serves. Over tcp such a client reaches any listener it is pointed at; on a shared act
 * stream the listener finds it on these topics.
 */
export function keySubsetTopics(pattern: Record<string, unknown>, msgprefix = SENECA_MSGPREFIX): string[] {
  const keys = Object.keys(pattern);
  if (keys.length > MAX_SUBSET_KEYS) return [senecaTopic(pattern, pattern, msgprefix)];
  const topics: string[] = [];
  for (let mask = 1; mask < 1 << keys.length; mask++) {
    const subset = Object.fromEntries(keys.filter((_, i) => mask & (1 << i)).map((k) => [k, pattern[k]]));
    topics.push(senecaTopic(subset, subset, msgprefix));
  }
  return topics;
}
