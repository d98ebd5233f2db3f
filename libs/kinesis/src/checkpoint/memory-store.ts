import type { Checkpoint, CheckpointStore } from '../types.js';
import { assertValidCheckpoint } from '../checkpoint-rules.js';

/**
 * Checkpoints in a Map. To share them between consumers of one process, pass the same instance to each:
 * the instance is the shared state. Nothing survives a restart.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly checkpoints = new Map<string, Checkpoint>();

  async get(streamName: string, shardId: string): Promise<Checkpoint | undefined> {
    const checkpoint = this.checkpoints.get(key(streamName, shardId));
    // Copies both ways: a caller mutating an object must not change what is stored.
    return checkpoint && { ...checkpoint };
  }

  async set(streamName: string, shardId: string, checkpoint: Checkpoint): Promise<void> {
    assertValidCheckpoint(shardId, checkpoint);
    const { sequenceNumber, subSequenceNumber } = checkpoint;
    this.checkpoints.set(key(streamName, shardId), { sequenceNumber, subSequenceNumber });
  }

  /** Keeps the checkpoints: other consumers sharing this instance may still use them. */
  async close(): Promise<void> {}
}

// NUL cannot occur in stream names or shard ids, so the pair maps to one key without ambiguity.
const key = (streamName: string, shardId: string) => `${streamName}\u0000${shardId}`;
