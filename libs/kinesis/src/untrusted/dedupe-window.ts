import { MAX_ID_LENGTH } from './untrusted.js';

/** Longest key a DedupeWindow keeps: an id (MAX_ID_LENGTH) plus a short namespace prefix such as `seneca:`. */
export const MAX_DEDUPE_KEY_LENGTH = MAX_ID_LENGTH + 16;

/**
 * Ids seen recently, bounded in time and in count: a redelivered record (Kinesis is at-least-once) inside
 * the window is recognised; memory stays bounded whatever the traffic: at most `maxEntries` keys of at most
 * MAX_DEDUPE_KEY_LENGTH (144) characters, i.e. ~100,000 x 144 characters with the defaults.
 */
export class DedupeWindow {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 100_000,
  ) {}

  /**
   * True the first time `id` is seen within the window; false for a duplicate. A key longer than
   * MAX_DEDUPE_KEY_LENGTH is never kept and counts as seen (false): callers refuse such ids before asking
   * (isSafeId), and an unkeepable id must not be handled, nor answered, once per delivery.
   */
  firstSeen(id: string, now = Date.now()): boolean {
    if (typeof id !== 'string' || id.length > MAX_DEDUPE_KEY_LENGTH) return false;
    this.evict(now);
    const at = this.seen.get(id);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.seen.set(id, now);
    return true;
  }

  /** Forgets an id, so a later delivery runs again (e.g. its handler was cut short by a shutdown). */
  forget(id: string): void {
    this.seen.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(now: number): void {
    // Insertion order is time order: drop from the front while expired or over the bound.
    for (const [id, at] of this.seen) {
      if (now - at < this.ttlMs && this.seen.size <= this.maxEntries) break;
      this.seen.delete(id);
    }
  }
}
