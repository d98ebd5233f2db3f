import { InvalidCheckpointError, KinesisError, LeaseLostError } from '../errors.js';

export type KclAction = 'initialize' | 'processRecords' | 'leaseLost' | 'shardEnded' | 'shutdownRequested';

/** The daemon answered a checkpoint with an error other than the two that have their own class. */
export class KclCheckpointError extends KinesisError {
  /** Worth retrying: the lease table was throttled or unreachable. */
  readonly retryable: boolean;

  constructor(
    /** The Java exception's simple name, e.g. InvalidStateException, ThrottlingException. */
    readonly daemonError: string,
    readonly shardId: string,
    readonly sequenceNumber: string | null,
    readonly subSequenceNumber: number | undefined,
  ) {
    super(
      `${shardId}: the KCL daemon refused checkpoint ${describe(sequenceNumber, subSequenceNumber)}: ${daemonError}`,
    );
    this.retryable =
      daemonError === 'ThrottlingException' || daemonError === 'KinesisClientLibDependencyException';
  }
}

/** A record processor callback threw or rejected; the daemon was still answered so the shard is not stuck. */
export class KclProcessorError extends KinesisError {
  constructor(
    readonly action: KclAction,
    readonly shardId: string,
    cause: unknown,
  ) {
    super(`${shardId}: ${action} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** The daemon sent actions out of the protocol's order (e.g. processRecords before initialize). */
export class KclProtocolError extends KinesisError {}

/** runKcl needs the optional peer dependency aws-kcl. */
export class KclNotInstalledError extends KinesisError {
  constructor(cause: unknown) {
    super('runKcl needs the aws-kcl package: npm install aws-kcl', { cause });
  }
}

/**
 * The daemon's checkpoint error (a Java exception name) as a typed error: ShutdownException means the lease
 * is gone (LeaseLostError, as our own stores report it); IllegalArgumentException a position outside
 * [last checkpoint, last delivered record] (InvalidCheckpointError).
 */
export function checkpointErrorFor(
  daemonError: string,
  shardId: string,
  sequenceNumber: string | null,
  subSequenceNumber?: number,
): Error {
  const at = describe(sequenceNumber, subSequenceNumber);
  if (daemonError === 'ShutdownException')
    return new LeaseLostError(
      shardId,
      `the KCL daemon refused checkpoint ${at}: ShutdownException (lease lost)`,
    );
  if (daemonError === 'IllegalArgumentException')
    return new InvalidCheckpointError(`${shardId}: the KCL daemon refused checkpoint ${at}: ${daemonError}`);
  return new KclCheckpointError(daemonError, shardId, sequenceNumber, subSequenceNumber);
}

function describe(sequenceNumber: string | null, subSequenceNumber: number | undefined): string {
  if (sequenceNumber === null) return '(last delivered record / SHARD_END)';
  return subSequenceNumber ? `${sequenceNumber}/${subSequenceNumber}` : sequenceNumber;
}
