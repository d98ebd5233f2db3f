import { Aggregator } from '../aggregation/index.js';
import { plainEntry, type Entry, type PendingPut } from './entry.js';
import type { ShardRange } from './shard-map.js';

interface Open {
  aggregator: Aggregator;
  puts: PendingPut[];
  /** Hash key of the first user record: inside the shard's range, so it routes the whole aggregate. */
  firstHashKey: bigint;
}

/**
 * User records packed into one open KPL aggregate per predicted shard. An aggregate is sealed into an
 * {@link Entry} when the next record does not fit, or when the producer's linger runs out (`sealAll`).
 */
export class AggregateBuffer {
  private readonly open = new Map<string, Open>();
  private userRecords = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly preserveOrder: boolean,
  ) {}

  /** User records held in open aggregates. */
  get size(): number {
    return this.userRecords;
  }

  /** Adds a user record bound for `shard`; returns the entries this sealed, oldest first. */
  add(put: PendingPut, shard: ShardRange, hashKey: bigint): Entry[] {
    const sealed: Entry[] = [];
    let slot = this.open.get(shard.shardId);
    if (slot && slot.aggregator.count > 0 && !slot.aggregator.fits(put.record)) {
      sealed.push(this.seal(shard.shardId, slot));
    }
    if (!slot) {
      slot = { aggregator: new Aggregator({ maxBytes: this.maxBytes }), puts: [], firstHashKey: hashKey };
      this.open.set(shard.shardId, slot);
    }
    // The aggregator is empty here unless the record fits; an empty one accepts anything, so check the size.
    if (slot.aggregator.count === 0 && slot.aggregator.sizeWith(put.record) > this.maxBytes) {
      // Too big to share an aggregate: it goes alone, after what was packed before it (kept in order).
      sealed.push(plainEntry(put, this.lane(shard.shardId), shard.shardId));
      return sealed;
    }
    if (slot.aggregator.count === 0) slot.firstHashKey = hashKey;
    slot.aggregator.add(put.record);
    slot.puts.push(put);
    this.userRecords++;
    return sealed;
  }

  /** Seals every open aggregate. */
  sealAll(): Entry[] {
    const sealed: Entry[] = [];
    for (const [shardId, slot] of this.open)
      if (slot.aggregator.count > 0) sealed.push(this.seal(shardId, slot));
    this.open.clear();
    return sealed;
  }

  private seal(shardId: string, slot: Open): Entry {
    const puts = slot.puts;
    slot.puts = [];
    this.userRecords -= puts.length;
    if (puts.length === 1) {
      // An aggregate of one is only overhead: send the user record as it is.
      slot.aggregator.clear();
      return plainEntry(puts[0], this.lane(shardId), shardId);
    }
    const built = slot.aggregator.build();
    slot.aggregator.clear();
    return {
      data: built.data,
      partitionKey: built.partitionKey,
      explicitHashKey: slot.firstHashKey.toString(),
      size: built.data.length + Buffer.byteLength(built.partitionKey, 'utf8'),
      lane: this.lane(shardId),
      predictedShardId: shardId,
      aggregated: true,
      puts,
      attempts: 0,
    };
  }

  private lane(shardId: string): string | undefined {
    return this.preserveOrder ? shardId : undefined;
  }
}
