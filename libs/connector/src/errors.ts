import { KinesisError } from '../../kinesis/src/index.js';

/** The transformer could not read a record (bad JSON, wrong shape): the record is dead-lettered. */
export class TransformError extends KinesisError {}

/** A table or column name that is not a plain SQL identifier: refused before any SQL is built. */
export class InvalidIdentifierError extends KinesisError {
  constructor(readonly identifier: string) {
    super(
      `not a valid SQL identifier: ${JSON.stringify(identifier)} (letters, digits, _ and $; optionally schema.name)`,
    );
  }
}

/**
 * A shard's pipeline stopped checkpointing (a failure outside the per-record guards, or a shutdown that gave
 * up on a write): what it did not store is re-read after a restart, never skipped.
 */
export class PipelineHaltedError extends KinesisError {
  constructor(
    readonly shardId: string,
    readonly reason: string,
  ) {
    super(`pipeline of ${shardId} is halted (${reason}): it checkpoints nothing more; restart to re-read`);
  }
}
