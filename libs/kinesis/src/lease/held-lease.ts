/** What a worker knows of a lease it holds, between two writes. */
export class HeldLease {
  /** Set when another worker asked for the lease: the reader drains, then the lease is handed over. */
  handoffTo: string | undefined;
  /** The reader is done with the lease for good (finished, handing over): no new reader is started. */
  closing = false;
  /** The reader ended before SHARD_END was checkpointed: restarted at the next shard sync, as without leases. */
  idle = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    /** The counter our last write left: the condition of the next one. */
    public counter: number,
    /** When the last successful renewal was sent: past the failover time, others may have taken the lease. */
    public renewedAt: number,
  ) {}

  /**
   * Runs the lease's writes one at a time: renewals, checkpoints and the hand-over each need the counter the
   * previous one left (two at once would fail each other's condition).
   */
  serial<T>(write: () => Promise<T>): Promise<T> {
    const run = this.queue.then(write, write);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
