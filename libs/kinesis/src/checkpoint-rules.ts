import { InvalidCheckpointError } from './errors.js';
import type { Checkpoint } from './types.js';

/**
 * Refuses a checkpoint no store could write back faithfully: an empty sequence number, one with a ':'
 * (the Redis value format's separator) or a sub-sequence number that is not a non-negative integer.
 */
export function assertValidCheckpoint(shardId: string, checkpoint: Checkpoint): void {
  const { sequenceNumber, subSequenceNumber } = checkpoint ?? {};
  if (typeof sequenceNumber !== 'string' || sequenceNumber.length === 0 || sequenceNumber.includes(':')) {
    throw new InvalidCheckpointError(`${shardId}: invalid sequence number ${JSON.stringify(sequenceNumber)}`);
  }
  if (!Number.isSafeInteger(subSequenceNumber) || subSequenceNumber < 0) {
    throw new InvalidCheckpointError(
      `${shardId}: invalid sub-sequence number ${JSON.stringify(subSequenceNumber)}`,
    );
  }
}
