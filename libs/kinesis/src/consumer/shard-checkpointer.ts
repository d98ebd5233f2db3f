import { InvalidCheckpointError, KinesisError, LeaseLostError } from '../errors.js';
import type { Checkpoint, Checkpointer, CheckpointStore, KinesisRecord } from '../types.js';
import { SHARD_END } from '../types.js';
import { comparePositions, isSequenceNumber } from './records.js';

/**
 * A checkpoint asked for after Consumer.stop() gave up waiting for the shard's processor (its stop deadline
 * passed): nothing is written, so the records it covers are read again after a restart.
 */
export class ConsumerStoppedError extends KinesisError {
  constructor(readonly shardId: string) {
    super(
      `${shardId}: the consumer has stopped: checkpoint refused (the records are read again after a restart)`,
    );
  }
}

/** What a no-argument `checkpoint()` means depends on the call it is given in. */
export type CheckpointScope =
  { kind: 'batch'; last?: KinesisRecord } | { kind: 'shardEnd' } | { kind: 'shutdown' };

/**
 * The checkpointing state of one shard: the last stored position and the last delivered record. Refuses a
 * checkpoint past what was delivered or before what is stored (that would re-deliver or lose records).
 */
export class ShardCheckpointer {
  /** The position stored last (or loaded at start). */
  current: Checkpoint | undefined;
  /** The last record handed to the processor. */
  lastDelivered: KinesisRecord | undefined;
  leaseLost = false;
  /** Consumer.stop() returned without this shard's processor: its checkpoints are refused from now on. */
  abandoned = false;

  constructor(
    private readonly store: CheckpointStore,
    private readonly streamName: string,
    private readonly shardId: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  scoped(scope: CheckpointScope): Checkpointer {
    return { checkpoint: (at, sub) => this.checkpoint(scope, at, sub) };
  }

  private async checkpoint(scope: CheckpointScope, at?: KinesisRecord | string, sub?: number): Promise<void> {
    if (this.abandoned) throw new ConsumerStoppedError(this.shardId);
    const target = this.resolve(scope, at, sub);
    if (!target) return; // nothing delivered yet: nothing to record
    if (target.sequenceNumber !== SHARD_END) this.validate(target);
    try {
      await this.store.set(this.streamName, this.shardId, target);
      this.current = target;
    } catch (error) {
      if (error instanceof LeaseLostError) this.leaseLost = true;
      this.onError(error);
      throw error;
    }
  }

  private resolve(scope: CheckpointScope, at?: KinesisRecord | string, sub?: number): Checkpoint | undefined {
    if (typeof at === 'string') {
      if (at === SHARD_END) return { sequenceNumber: SHARD_END, subSequenceNumber: 0 };
      return { sequenceNumber: at, subSequenceNumber: sub ?? 0 };
    }
    if (at) return { sequenceNumber: at.sequenceNumber, subSequenceNumber: at.subSequenceNumber };
    if (scope.kind === 'shardEnd') return { sequenceNumber: SHARD_END, subSequenceNumber: 0 };
    const last = scope.kind === 'batch' ? scope.last : this.lastDelivered;
    return last && { sequenceNumber: last.sequenceNumber, subSequenceNumber: last.subSequenceNumber };
  }

  private validate(target: Checkpoint): void {
    if (!isSequenceNumber(target.sequenceNumber) || !Number.isInteger(target.subSequenceNumber)) {
      throw new InvalidCheckpointError(`${this.shardId}: not a sequence number: ${target.sequenceNumber}`);
    }
    if (!this.lastDelivered || comparePositions(target, this.lastDelivered) > 0) {
      throw new InvalidCheckpointError(
        `${this.shardId}: cannot checkpoint ${target.sequenceNumber}/${target.subSequenceNumber}, past the last delivered record`,
      );
    }
    if (
      this.current &&
      isSequenceNumber(this.current.sequenceNumber) &&
      comparePositions(target, this.current) < 0
    ) {
      throw new InvalidCheckpointError(
        `${this.shardId}: cannot checkpoint ${target.sequenceNumber}/${target.subSequenceNumber}, before the stored checkpoint`,
      );
    }
  }
}
