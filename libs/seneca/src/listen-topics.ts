import { senecaTopic } from '../../transport/src/seneca/seneca-topic.js';
import type { SenecaInstance, SenecaMessage, TransportArgs, TransportUtils } from './seneca-types.js';

/** Pattern keys beyond this give no prefix topics (2^keys topics per pattern), only the pattern's own. */
const MAX_PREFIX_KEYS = 8;

/**
 * The topics a listener reads, and which acts on them it answers. Over tcp a client pinned on `role:math`
 * reaches a listener pinned on `role:math,cmd:sum` (or unpinned) because it has the listener's address; on a
 * shared act stream the topic is the address, so a listener also reads the topics such clients write:
 *
 * - owned topics (answer every act, act_not_found included): seneca-transport's `listen_topics` (one per
 *   action under the pin, or `seneca_any` when unpinned) and the topic of each pin without wildcards;
 * - shared topics (answer only an act that runs one of this listener's actions under its pin, so listeners of
 *   other services on the same stream are not raced with act_not_found): `seneca_any` for a pinned listener,
 *   and the topic of every subset of keys of every action under the pin (what a client pinned on that subset
 *   writes such an act to).
 */
export class ListenerTopics {
  readonly owned: ReadonlySet<string>;
  readonly shared: ReadonlySet<string>;
  private readonly pins: SenecaMessage[] | undefined;
  private readonly msgprefix: string;
  private readonly topicsOfPattern = new Map<string, ReadonlySet<string>>();

  constructor(seneca: SenecaInstance, tu: TransportUtils, listenOptions: TransportArgs) {
    this.msgprefix = tu._msgprefix ?? 'seneca_';
    const pins = tu.resolve_pins?.(listenOptions);
    this.pins = pins && pins.length > 0 ? pins : undefined;
    const owned = new Set(tu.listen_topics(seneca, listenOptions, listenOptions));
    for (const pin of this.pins ?? []) if (!hasWildcards(pin)) owned.add(this.topic(pin));
    const shared = new Set<string>([this.topic({})]);
    const patterns = seneca.findpins?.(this.pins ?? [{}]) ?? [];
    for (const pattern of patterns) for (const topic of this.keySubsetTopics(pattern)) shared.add(topic);
    for (const topic of owned) shared.delete(topic);
    this.owned = owned;
    this.shared = shared;
  }

  /** Every topic read, owned first. */
  get all(): string[] {
    return [...this.owned, ...this.shared];
  }

  /** Whether an act read on `topic` is this listener's to answer (see the class comment). */
  serves(seneca: SenecaInstance, topic: string, act: SenecaMessage): boolean {
    if (this.owned.has(topic)) return true;
    if (!this.shared.has(topic)) return false;
    const action = seneca.find?.(act);
    if (!action) return false;
    const pattern = action.msgcanon;
    if (this.pins && !this.pins.some((pin) => underPin(pattern, pin))) return false;
    let topics = this.topicsOfPattern.get(action.pattern);
    if (!topics) {
      topics = new Set([this.topic({}), ...this.keySubsetTopics(pattern)]);
      this.topicsOfPattern.set(action.pattern, topics);
    }
    return topics.has(topic);
  }

  private topic(pin: SenecaMessage): string {
    return Object.keys(pin).length === 0 ? `${this.msgprefix}any` : senecaTopic(pin, pin, this.msgprefix);
  }

  /**
   * The topic of each non-empty subset of the pattern's keys (the whole pattern included), with the pattern's
   * values. Not the server's `prefixTopics` (proper subsets only, Seneca's default msgprefix).
   */
  private keySubsetTopics(pattern: SenecaMessage): string[] {
    const keys = Object.keys(pattern);
    if (keys.length > MAX_PREFIX_KEYS) return [this.topic(pattern)];
    const topics: string[] = [];
    for (let mask = 1; mask < 1 << keys.length; mask++) {
      const subset = Object.fromEntries(keys.filter((_, i) => mask & (1 << i)).map((k) => [k, pattern[k]]));
      topics.push(this.topic(subset));
    }
    return topics;
  }
}

const isGlob = (value: unknown) => typeof value === 'string' && /[*?]/.test(value);
const hasWildcards = (pin: SenecaMessage) => Object.values(pin).some(isGlob);

function globMatches(glob: string, value: string): boolean {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** Whether an action pattern lies under a pin: every pin key is in the pattern with a matching value. */
function underPin(pattern: SenecaMessage, pin: SenecaMessage): boolean {
  return Object.entries(pin).every(([key, want]) => {
    const have = pattern[key];
    if (have === undefined) return false;
    return isGlob(want) ? globMatches(String(want), String(have)) : String(have) === String(want);
  });
}
