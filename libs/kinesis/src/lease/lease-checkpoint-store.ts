import { assertValidCheckpoint } from '../checkpoint-rules.js';
import type { Checkpoint, CheckpointStore } from '../types.js';
import type { LeaseTable } from './lease-table.js';

/** Writes a checkpoint under a held lease; rejects with LeaseLostError when the lease is not (or no longer) ours. */
export interface LeaseCheckpointer {
  checkpoint(shardId: string, at: Checkpoint): Promise<void>;
}

/**
 * The checkpoints of a lease table (the same items and attributes as DynamoDBCheckpointStore), written only
 * by the worker holding the lease: a write is conditional on the lease's counter and owner, and a refused
 * one rejects with LeaseLostError (the shard is someone else's now; its checkpoint is theirs to write).
 */
export class LeaseCheckpointStore implements CheckpointStore {
  constructor(
    private readonly table: LeaseTable,
    private readonly streamName: string,
    private readonly holder: LeaseCheckpointer,
  ) {}

  async get(streamName: string, shardId: string): Promise<Checkpoint | undefined> {
    this.assertStream(streamName);
    return (await this.table.get(shardId))?.checkpoint;
  }

  async set(streamName: string, shardId: string, checkpoint: Checkpoint): Promise<void> {
    this.assertStream(streamName);
    assertValidCheckpoint(shardId, checkpoint);
    await this.holder.checkpoint(shardId, checkpoint);
  }

  /** The DynamoDB client is the caller's: nothing to close. */
  async close(): Promise<void> {}

  private assertStream(streamName: string): void {
    // Shard ids repeat across streams: the lease table holds one stream only.
    if (streamName !== this.streamName) {
      throw new TypeError(
        `lease table ${this.table.tableName} holds stream "${this.streamName}", not "${streamName}"`,
      );
    }
  }
}
