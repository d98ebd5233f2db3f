/**
 * Topic naming as seneca-transport 8.x does it (lib/transport-utils.js `resolve_topic` / `listen_topics`):
 * `msgprefix` + the sorted `key=value,` pairs of the pin, every run of non-word characters replaced by `_`.
 * On Kinesis a topic `t` is the partition key `t_act` for acts and `t_res` for replies.
 */
export const SENECA_MSGPREFIX = 'seneca_';
export const SENECA_ANY_TOPIC = `${SENECA_MSGPREFIX}any`;

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

export const actPartitionKey = (topic: string): string => topic + ACT_SUFFIX;
export const resPartitionKey = (topic: string): string => topic + RES_SUFFIX;

/** The topic of an act record's partition key, or undefined when the key is not an act key. */
export function topicOfActKey(partitionKey: string): string | undefined {
  return partitionKey.endsWith(ACT_SUFFIX) ? partitionKey.slice(0, -ACT_SUFFIX.length) : undefined;
}

/** True when a pin's topic depends on the act (a value with a glob `*` or `?`), so it is known only per call. */
export function pinHasWildcards(pin: Record<string, unknown>): boolean {
  return Object.values(pin).some(
    (value) => typeof value === 'string' && (value.includes('*') || value.includes('?')),
  );
}

/** Pattern keys beyond this give no prefix topics (2^keys topics per pattern). */
const MAX_PREFIX_KEYS = 8;

/**
 * The topic of every non-empty proper subset of the pattern's keys, with the pattern's values: where a Seneca
 * client pinned on that part of the pattern (e.g. `role:math` for `{ role: 'math', cmd: 'sum' }`) sends an
 * act the pattern serves. Over tcp such a client reaches any listener it is pointed at; here it finds the
 * server on these topics.
 */
export function prefixTopics(pattern: Record<string, unknown>, msgprefix = SENECA_MSGPREFIX): string[] {
  const keys = Object.keys(pattern);
  if (keys.length > MAX_PREFIX_KEYS) return [];
  const topics: string[] = [];
  for (let mask = 1; mask < (1 << keys.length) - 1; mask++) {
    const subset = Object.fromEntries(keys.filter((_, i) => mask & (1 << i)).map((k) => [k, pattern[k]]));
    topics.push(senecaTopic(subset, subset, msgprefix));
  }
  return topics;
}
