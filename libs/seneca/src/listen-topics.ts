import type { SenecaInstance, SenecaMessage, TransportArgs, TransportUtils } from './seneca-types.js';
import {
  keySubsetTopics,
  patternUnderPin,
  pinHasWildcards,
  SENECA_MSGPREFIX,
  senecaAnyTopic,
  senecaTopic,
} from './wire/index.js';

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
    this.msgprefix = tu._msgprefix ?? SENECA_MSGPREFIX;
    const pins = tu.resolve_pins?.(listenOptions);
    this.pins = pins && pins.length > 0 ? pins : undefined;
    const owned = new Set(tu.listen_topics(seneca, listenOptions, listenOptions));
    for (const pin of this.pins ?? []) if (!pinHasWildcards(pin)) owned.add(this.topic(pin));
    const shared = new Set<string>([senecaAnyTopic(this.msgprefix)]);
    const patterns = seneca.findpins?.(this.pins ?? [{}]) ?? [];
    for (const pattern of patterns)
      for (const topic of keySubsetTopics(pattern, this.msgprefix)) shared.add(topic);
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
    if (this.pins && !this.pins.some((pin) => patternUnderPin(pattern, pin))) return false;
    let topics = this.topicsOfPattern.get(action.pattern);
    if (!topics) {
      topics = new Set([senecaAnyTopic(this.msgprefix), ...keySubsetTopics(pattern, this.msgprefix)]);
      this.topicsOfPattern.set(action.pattern, topics);
    }
    return topics.has(topic);
  }

  /** A pin's own topic; an empty pin is an unpinned listener's (`seneca_any`). */
  private topic(pin: SenecaMessage): string {
    return Object.keys(pin).length === 0
      ? senecaAnyTopic(this.msgprefix)
      : senecaTopic(pin, pin, this.msgprefix);
  }
}
