import type { Entry } from './entry.js';

/** A FIFO with O(1) push, shift and unshift (arrays' shift is O(n) on long queues). */
export class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the consumed prefix dominates, so memory follows the live size.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** Entries waiting for a PutRecords call. */
export interface SendQueue {
  /** Entries a batch could take now. */
  readonly readyCount: number;
  /** Their bytes (data + partition keys). */
  readonly readyBytes: number;
  /** A new entry, behind everything queued. */
  push(entry: Entry): void;
  /** An entry back from a failed attempt: it goes first (it is the oldest). */
  requeue(entry: Entry): void;
  /** Removes and returns up to `maxRecords` entries of at most `maxBytes` in total. */
  take(maxRecords: number, maxBytes: number): Entry[];
  /** The entry is settled (stored, or failed for good): its lane may move on. */
  release(entry: Entry): void;
}

/** No ordering guarantee across retries: any entry may go in any call. Maximum throughput. */
export class FifoQueue implements SendQueue {
  private readonly entries = new Deque<Entry>();
  readyBytes = 0;

  get readyCount(): number {
    return this.entries.length;
  }

  push(entry: Entry): void {
    this.entries.push(entry);
    this.readyBytes += entry.size;
  }

  requeue(entry: Entry): void {
    this.entries.unshift(entry);
    this.readyBytes += entry.size;
  }

  take(maxRecords: number, maxBytes: number): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    for (let next = this.entries.peek(); next && batch.length < maxRecords; next = this.entries.peek()) {
      if (batch.length > 0 && bytes + next.size > maxBytes) break;
      this.entries.shift();
      batch.push(next);
      bytes += next.size;
    }
    this.readyBytes -= bytes;
    return batch;
  }

  release(): void {}
}

/**
 * Ordering lanes. Kinesis orders the records of one shard by arrival, but inside one PutRecords call an
 * entry may fail while a later one of the same key succeeds, and its retry then lands after it. The only
 * sound way to keep per-key order across retries is to never have two records of a key in flight at once:
 * a lane (partition key, or target shard with aggregation) has at most one entry out (in a call or in its
 * retry backoff); the others wait behind it, and a batch takes at most one entry per lane. The price: a
 * single hot key moves one record per round trip. That is why preserveOrder is opt-in.
 */
export class LaneQueue implements SendQueue {
  private readonly lanes = new Map<string, Deque<Entry>>();
  /** Lanes with nothing out and something waiting, oldest first. */
  private readonly ready = new Deque<string>();
  private readonly busy = new Set<string>();
  readyBytes = 0;

  get readyCount(): number {
    return this.ready.length;
  }

  push(entry: Entry): void {
    const lane = entry.lane ?? '';
    let queue = this.lanes.get(lane);
    if (!queue) this.lanes.set(lane, (queue = new Deque()));
    queue.push(entry);
    if (queue.length === 1 && !this.busy.has(lane)) this.markReady(lane, entry, false);
  }

  requeue(entry: Entry): void {
    const lane = entry.lane ?? '';
    let queue = this.lanes.get(lane);
    if (!queue) this.lanes.set(lane, (queue = new Deque()));
    queue.unshift(entry);
    this.busy.delete(lane);
    this.markReady(lane, entry, true);
  }

  take(maxRecords: number, maxBytes: number): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    for (
      let lane = this.ready.peek();
      lane !== undefined && batch.length < maxRecords;
      lane = this.ready.peek()
    ) {
      const entry = this.lanes.get(lane)!.peek()!;
      if (batch.length > 0 && bytes + entry.size > maxBytes) break;
      this.ready.shift();
      this.lanes.get(lane)!.shift();
      this.busy.add(lane);
      batch.push(entry);
      bytes += entry.size;
    }
    this.readyBytes -= bytes;
    return batch;
  }

  release(entry: Entry): void {
    const lane = entry.lane ?? '';
    this.busy.delete(lane);
    const queue = this.lanes.get(lane);
    const next = queue?.peek();
    if (next) this.markReady(lane, next, false);
    else this.lanes.delete(lane);
  }

  private markReady(lane: string, head: Entry, first: boolean): void {
    if (first) this.ready.unshift(lane);
    else this.ready.push(lane);
    this.readyBytes += head.size;
  }
}
