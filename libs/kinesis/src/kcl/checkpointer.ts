import { InvalidCheckpointError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isSequenceNumber } from '../consumer/records.js';
import type { Checkpointer, KinesisRecord } from '../types.js';
import { SHARD_END } from '../types.js';
import { checkpointErrorFor } from './errors.js';
import type { KclCallbackCheckpointer, KclCheckpointCallback } from './protocol.js';

/** Which call the checkpointer was handed in: SHARD_END is only valid in shardEnded. */
export type KclCheckpointScope = 'batch' | 'shardEnd' | 'shutdown';

/** null: the daemon's own default (the last delivered record, with its sub-sequence; SHARD_END in shardEnded). */
interface Position {
  sequenceNumber: string | null;
  subSequenceNumber?: number;
}

/**
 * Our promise-based Checkpointer over aws-kcl's callback checkpointer. Calls are queued: aws-kcl refuses a
 * checkpoint while another waits for the daemon's answer, and a processor may well fire two without awaiting.
 */
export class KclCheckpointer implements Checkpointer {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: KclCallbackCheckpointer,
    private readonly shardId: string,
    private readonly scope: KclCheckpointScope,
    private readonly logger: Logger,
  ) {}

  checkpoint(at?: KinesisRecord | string, subSequenceNumber?: number): Promise<void> {
    let position: Position;
    try {
      position = this.resolve(at, subSequenceNumber);
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.queue.then(() => this.send(position));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every checkpoint asked for so far is answered: the daemon's checkpointer ends with the call. */
  async settled(): Promise<void> {
    await this.queue;
  }

  private resolve(at: KinesisRecord | string | undefined, sub: number | undefined): Position {
    if (at === undefined) return { sequenceNumber: null };
    if (at === SHARD_END) {
      if (this.scope !== 'shardEnd')
        throw new InvalidCheckpointError(`${this.shardId}: SHARD_END can only be checkpointed in shardEnded`);
      return { sequenceNumber: null };
    }
    const position =
      typeof at === 'string'
        ? { sequenceNumber: at, subSequenceNumber: sub ?? 0 }
        : { sequenceNumber: at.sequenceNumber, subSequenceNumber: at.subSequenceNumber };
    if (
      !isSequenceNumber(position.sequenceNumber) ||
      !Number.isInteger(position.subSequenceNumber) ||
      position.subSequenceNumber < 0
    ) {
      throw new InvalidCheckpointError(
        `${this.shardId}: not a checkpoint position: ${position.sequenceNumber}/${position.subSequenceNumber}`,
      );
    }
    return position;
  }

  private send({ sequenceNumber, subSequenceNumber }: Position): Promise<void> {
    return new Promise((resolve, reject) => {
      const answered: KclCheckpointCallback = (error) =>
        error
          ? reject(checkpointErrorFor(String(error), this.shardId, sequenceNumber, subSequenceNumber))
          : resolve();
      if (sequenceNumber !== null && subSequenceNumber) {
        const extended = extendedCheckpoint(this.target);
        if (extended) {
          extended(sequenceNumber, subSequenceNumber, answered);
          return;
        }
        this.logger.warn('aws-kcl cannot send a sub-sequence number: checkpointing the whole KPL record', {
          shardId: this.shardId,
          sequenceNumber,
          subSequenceNumber,
        });
      }
      this.target.checkpoint(sequenceNumber, answered);
    });
  }
}

interface AwsKclCheckpointerInternals {
  _callback?: KclCheckpointCallback | null;
  _kclManager?: { _context?: unknown; _sendAction?(context: unknown, action: object): void };
}

/**
 * aws-kcl 2.x's checkpointer writes only `sequenceNumber`, though the daemon reads `subSequenceNumber` too
 * (MultiLangProtocol.checkpoint). Without it a checkpoint inside a KPL aggregate counts as sub-record 0: after a
 * restart the rest of the aggregate comes again, and a later checkpoint at an earlier sub-record is refused.
 * So this writes the full message through the checkpointer's manager and registers the answer's callback where
 * aws-kcl routes it (onCheckpointerResponse). Undefined when aws-kcl's internals are not of that shape.
 */
function extendedCheckpoint(
  checkpointer: KclCallbackCheckpointer,
):
  ((sequenceNumber: string, subSequenceNumber: number, callback: KclCheckpointCallback) => void) | undefined {
  const internals = checkpointer as unknown as AwsKclCheckpointerInternals;
  const manager = internals._kclManager;
  if (!manager || typeof manager._sendAction !== 'function' || !('_callback' in internals)) return undefined;
  return (sequenceNumber, subSequenceNumber, callback) => {
    internals._callback = callback;
    manager._sendAction!(manager._context, { action: 'checkpoint', sequenceNumber, subSequenceNumber });
  };
}
