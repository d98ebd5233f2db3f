export type LeaseEvent =
  | { type: 'leaseTaken'; shardId: string; previousOwner: string | undefined }
  | { type: 'leaseLost'; shardId: string; reason: string }
  | { type: 'leaseHandedOver'; shardId: string; to: string }
  | { type: 'error'; error: unknown; shardId?: string };

/** What the lease side asks of the consumer, which owns the shard readers. */
export interface LeaseCallbacks {
  /** A lease is ours: start reading the shard. */
  startShard(shardId: string): void;
  hasReader(shardId: string): boolean;
  /** The lease is gone: end the reader at once; the processor gets leaseLost (its checkpoints would fail). */
  abandonShard(shardId: string): void;
  /** Another worker asked for the lease: end the reader after its batch (shutdownRequested checkpoints). */
  drainShard(shardId: string): void;
  onEvent(event: LeaseEvent): void;
}

/** How a shard's reader ended, as the consumer tells it (`failed`: it threw). */
export type ReaderEnd = 'finished' | 'unfinished' | 'stopped' | 'failed';
