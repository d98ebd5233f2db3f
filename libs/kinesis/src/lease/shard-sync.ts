import type { ShardInfo } from '../types.js';
import { TRIM_HORIZON } from '../types.js';
import type { Lease } from './lease.js';
import type { LeaseTable } from './lease-table.js';

/**
 * Creates an unowned lease for each listed shard the last scan did not show (conditional puts: any worker
 * may do it, at the same time as others). Parents first, so no worker sees a child without its parent.
 * Resolves how many were listed as missing.
 */
export async function createMissingLeases(
  table: LeaseTable,
  shards: ShardInfo[],
  known: ReadonlyMap<string, Lease>,
  initialPosition: string,
): Promise<number> {
  const listed = new Set(shards.map((s) => s.shardId));
  const missing = shards.filter((s) => !known.has(s.shardId));
  for (const shard of parentsFirst(missing)) {
    // A child starts at TRIM_HORIZON whatever the start position, as with the KCL: it follows its parents.
    const child = shard.parentShardIds.some((p) => listed.has(p) || known.has(p));
    await table.create(shard.shardId, shard.parentShardIds, child ? TRIM_HORIZON : initialPosition);
  }
  return missing.length;
}

function parentsFirst(shards: ShardInfo[]): ShardInfo[] {
  const pending = new Map(shards.map((s) => [s.shardId, s]));
  const ordered: ShardInfo[] = [];
  while (pending.size > 0) {
    const ready = [...pending.values()].filter((s) => s.parentShardIds.every((p) => !pending.has(p)));
    for (const s of ready.length > 0 ? ready : [...pending.values()]) {
      ordered.push(s);
      pending.delete(s.shardId);
    }
  }
  return ordered;
}
