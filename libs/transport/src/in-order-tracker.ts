import type { KinesisRecord } from '../../kinesis/src/index.js';

/**
 * Work on a shard's records may finish out of order (concurrency > 1); the checkpoint may only move to the
 * last record whose work is complete with nothing before it pending. This tracks that watermark.
 */
export class InOrderTracker {
  private readonly pending: Array<{ record: KinesisRecord; done: boolean }> = [];
  private watermark: KinesisRecord | undefined;
  private changed = false;

  /** Registers a record in delivery order; returns the function that marks it complete. */
  start(record: KinesisRecord): () => void {
    const entry = { record, done: false };
    this.pending.push(entry);
    return () => {
      entry.done = true;
      while (this.pending.length > 0 && this.pending[0].done) {
        this.watermark = this.pending.shift()!.record;
        this.changed = true;
      }
    };
  }

  get inFlight(): number {
    return this.pending.filter((e) => !e.done).length;
  }

  /** The record to checkpoint at, once per advance; undefined when nothing moved since the last call. */
  takeAdvance(): KinesisRecord | undefined {
    if (!this.changed) return undefined;
    this.changed = false;
    return this.watermark;
  }
}
