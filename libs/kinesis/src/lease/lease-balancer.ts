import { isFinished, type Lease } from './lease.js';

export interface BalanceInput {
  workerId: string;
  /** Every lease of the last scan. */
  leases: Lease[];
  isExpired(lease: Lease): boolean;
  maxLeasesForWorker: number;
  maxLeasesToStealAtOneTime: number;
  /** For tests; default Math.random. */
  random?: () => number;
}

export interface BalancePlan {
  /** Free or expired leases to take now. */
  take: Lease[];
  /** Leases of the most loaded worker to ask for (cooperative handoff), when nothing is free. */
  request: Lease[];
  target: number;
  workers: number;
  mine: number;
  /** Workable leases, and those of them free or expired. */
  workable: number;
  available: number;
}

/**
 * A lease can be worked on: not read to its end, and every parent still in the table is (a child shard's
 * records come after its parents'). A parent missing from the table has aged out of the stream.
 */
export function isWorkable(lease: Lease, byKey: ReadonlyMap<string, Lease>): boolean {
  if (isFinished(lease)) return false;
  return lease.parentShardIds.every((p) => !byKey.has(p) || isFinished(byKey.get(p)));
}

/**
 * The KCL 2.x DynamoDBLeaseTaker's rules over the workable leases: the workers are the owners of unexpired
 * leases plus this one; target = ceil(leases / workers) (at most maxLeasesForWorker); below target, take free
 * or expired leases; when none is free, ask the most loaded worker if it has more than the target, or has the
 * target while we need more than one (else a joining worker could stay idle beside workers at target). A
 * lease being handed over counts for its next owner (`leaseOwner`), so a request is not repeated.
 */
export function planBalance(input: BalanceInput): BalancePlan {
  const { workerId, isExpired } = input;
  const random = input.random ?? Math.random;
  const byKey = new Map(input.leases.map((l) => [l.leaseKey, l]));
  const workable = input.leases.filter((l) => isWorkable(l, byKey));
  const available = workable.filter((l) => isExpired(l));
  const counts = new Map<string, number>([[workerId, 0]]);
  for (const lease of workable) {
    if (!isExpired(lease)) counts.set(lease.leaseOwner!, (counts.get(lease.leaseOwner!) ?? 0) + 1);
  }
  const workers = counts.size;
  const mine = counts.get(workerId)!;
  const empty = {
    take: [],
    request: [],
    workers,
    mine,
    workable: workable.length,
    available: available.length,
  };
  if (workable.length === 0) return { ...empty, target: 0 };
  const target = Math.min(
    input.maxLeasesForWorker,
    workers >= workable.length ? 1 : Math.ceil(workable.length / workers),
  );
  const needed = target - mine;
  if (needed <= 0) return { ...empty, target };
  if (available.length > 0) {
    return { ...empty, target, take: shuffle(available, random).slice(0, needed) };
  }
  // Nothing free: the most loaded worker (ties broken at random so requesters spread out).
  const [busiest, load] = shuffle([...counts], random).reduce((a, b) => (b[1] > a[1] ? b : a));
  if (busiest === workerId || load < target) return { ...empty, target };
  let count = Math.min(needed, load - target);
  if (count === 0 && needed > 1) count = 1;
  count = Math.min(count, input.maxLeasesToStealAtOneTime);
  // Not one already being handed over: its holder is busy with that.
  const candidates = workable.filter((l) => l.leaseOwner === busiest && !l.checkpointOwner && !isExpired(l));
  return { ...empty, target, request: shuffle(candidates, random).slice(0, count) };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
