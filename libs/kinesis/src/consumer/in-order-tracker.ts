import type { KinesisRecord } from '../types.js';

/** What a checkpoint needs of a record: its position in the shard. */
export type RecordPosition = Pick<KinesisRecord, 'sequenceNumber' | 'subSequenceNumber'>;

const NO_DATA = Buffer.alloc(0);

/**
 * Work on a shard's records may finish out of order (concurrency > 1); the checkpoint may only move to the
 * last record whose work is complete with nothing before it pending. This tracks that watermark. It keeps only
 * each record's position, never the record: while one handler hangs, the records read after it must not hold
 * their data here (the caller bounds `pending`).
 */
export class InOrderTracker {
  /** Entries from `head` on are the records not yet passed by the watermark, in delivery order. */
  private entries: Array<{ position: RecordPosition; done: boolean }> = [];
  private head = 0;
  private running = 0;
  private watermark: RecordPosition | undefined;
  private changed = false;

  /** Registers a record in delivery order; returns the function that marks it complete (once). */
  start(record: RecordPosition): () => void {
    const entry = {
      position: { sequenceNumber: record.sequenceNumber, subSequenceNumber: record.subSequenceNumber },
      done: false,
    };
    this.entries.push(entry);
    this.running++;
    return () => {
      if (entry.done) return;
      entry.done = true;
      this.running--;
      while (this.head < this.entries.length && this.entries[this.head].done) {
        this.watermark = this.entries[this.head++].position;
        this.changed = true;
      }
      // Drop the passed entries now and then, not on every advance (shift() is linear).
      if (this.head > 1024 && this.head * 2 > this.entries.length) {
        this.entries = this.entries.slice(this.head);
        this.head = 0;
      }
    };
  }

  /** Records started and not complete. */
  get inFlight(): number {
    return this.running;
  }

  /** Records not yet passed by the watermark: those not complete, and the complete ones behind them. */
  get pending(): number {
    return this.entries.length - this.head;
  }

  /** The oldest record not complete (what holds the checkpoint back), if any. */
  get oldestPending(): RecordPosition | undefined {
    return this.entries[this.head]?.position;
  }

  /**
   * The position to checkpoint at, once per advance; undefined when nothing moved since the last call. A
   * record-shaped object (for `Checkpointer.checkpoint`) whose only meaningful fields are its position.
   */
  takeAdvance(): KinesisRecord | undefined {
    if (!this.changed || !this.watermark) return undefined;
    this.changed = false;
    return {
      ...this.watermark,
      data: NO_DATA,
      partitionKey: '',
      aggregated: false,
      approximateArrivalTimestamp: new Date(0),
    };
  }
}
