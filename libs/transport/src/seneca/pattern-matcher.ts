/**
 * Seneca-style action lookup for Nest object patterns: a pattern matches an act when every key of the
 * pattern is in the act with an equal value (extra act keys are ignored), and the MOST SPECIFIC match wins.
 *
 * Specificity, in order:
 *  1. more keys wins ({role, cmd} beats {role});
 *  2. equal key counts: the pattern whose sorted key list comes first at the first differing key wins
 *     ({a, c} beats {b, c}; {cmd} beats {role}), patrun's "property names are checked in alphabetical order";
 *  3. still equal (same keys, values equal only as strings, e.g. {v: 1} and {v: '1'}): the smaller Nest
 *     route string wins, so the choice never depends on registration order.
 *
 * Values compare as strings, as patrun does (act `v: 1` matches pattern `v: '1'`); object values compare by
 * their JSON. One difference from patrun's greedy trie: patrun picks {a:1} over {b:1, c:1} for the act
 * {a:1, b:1, c:1} (it walks keys alphabetically and stops at the first match); here rule 1 picks {b, c}.
 */
export interface PatternEntry<T> {
  pattern: Record<string, unknown>;
  /** Sorted keys: computed once. */
  keys: string[];
  route: string;
  value: T;
}

const isObject = (value: unknown): value is object => value !== null && typeof value === 'object';

/**
 * Scalars compare as strings; objects by their JSON, and only with objects. An act's value comes from a
 * record: one too deep to stringify (or cyclic) matches nothing instead of throwing.
 */
function sameValue(actValue: unknown, patternValue: unknown): boolean {
  if (isObject(actValue) !== isObject(patternValue)) return false;
  if (!isObject(actValue)) return String(actValue) === String(patternValue);
  try {
    return JSON.stringify(actValue) === JSON.stringify(patternValue);
  } catch {
    return false;
  }
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

/** Negative when `a` is more specific than `b` (see the rules above). */
export function compareSpecificity<T>(a: PatternEntry<T>, b: PatternEntry<T>): number {
  return (
    b.keys.length - a.keys.length ||
    compareKeys(a.keys, b.keys) ||
    (a.route < b.route ? -1 : a.route > b.route ? 1 : 0)
  );
}

export class PatternMatcher<T> {
  /** Kept sorted most specific first: find() returns the first entry that matches. */
  private entries: PatternEntry<T>[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** Adds (or replaces, for the same route) a pattern. */
  add(pattern: Record<string, unknown>, route: string, value: T): void {
    const entry = { pattern, keys: Object.keys(pattern).sort(), route, value };
    this.entries = [...this.entries.filter((e) => e.route !== route), entry].sort(compareSpecificity);
  }

  /** The most specific pattern all of whose key/values are in `act`, or undefined. */
  find(act: Record<string, unknown>): PatternEntry<T> | undefined {
    return this.entries.find((entry) =>
      entry.keys.every((key) => Object.hasOwn(act, key) && sameValue(act[key], entry.pattern[key])),
    );
  }
}
