import type { Lease } from './lease.js';

/**
 * The handoffs this worker asked for (it is the lease's `leaseOwner`, the holder its `checkpointOwner`), and
 * since when by its own clock: a holder that has not handed over after the timeout is dead or stuck, and the
 * requester takes the lease as the KCL steals.
 */
export class HandoffRequests {
  private readonly asked = new Map<string, { since: number; holder: string | undefined }>();

  constructor(
    private readonly workerId: string,
    private readonly timeoutMs: number,
  ) {}

  /** Requests not yet answered by a lease we took. */
  get size(): number {
    return this.asked.size;
  }

  add(lease: Lease, now: number): void {
    this.asked.set(lease.leaseKey, { since: now, holder: lease.leaseOwner });
  }

  /** Who held the lease when we asked for it. */
  holderOf(leaseKey: string): string | undefined {
    return this.asked.get(leaseKey)?.holder;
  }

  delete(leaseKey: string): void {
    this.asked.delete(leaseKey);
  }

  /**
   * Updates from a scan (a pending request found there, e.g. made before a restart, counts from now) and
   * answers the requests past the timeout. Requests no longer pending are forgotten, except those handed
   * over to us and not taken yet.
   */
  overdue(leases: Lease[], now: number): Lease[] {
    const late: Lease[] = [];
    const seen = new Set<string>();
    for (const lease of leases) {
      if (lease.leaseOwner !== this.workerId) continue;
      seen.add(lease.leaseKey);
      if (!lease.checkpointOwner || lease.checkpointOwner === this.workerId) continue;
      const request = this.asked.get(lease.leaseKey) ?? { since: now, holder: lease.checkpointOwner };
      this.asked.set(lease.leaseKey, request);
      if (now - request.since >= this.timeoutMs) late.push(lease);
    }
    for (const key of this.asked.keys()) if (!seen.has(key)) this.asked.delete(key);
    return late;
  }

  /** Leases we asked for and that were not handed over yet, as last seen. */
  pending(known: ReadonlyMap<string, Lease>): Lease[] {
    return [...this.asked.keys()]
      .map((key) => known.get(key))
      .filter((l): l is Lease => !!l?.checkpointOwner && l.leaseOwner === this.workerId);
  }
}
