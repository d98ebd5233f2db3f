import { KinesisError } from '../errors.js';

/**
 * A lease table call failed for a reason other than a refused condition (throttling, network, missing
 * table). A refused condition is not an error: the table methods answer `undefined`/`false` for it.
 */
export class LeaseTableError extends KinesisError {
  constructor(
    readonly operation: string,
    readonly tableName: string,
    readonly leaseKey: string | undefined,
    options: { cause: unknown },
  ) {
    super(
      `lease table ${tableName}: ${operation}${leaseKey ? ` ${leaseKey}` : ''} failed: ${
        options.cause instanceof Error ? options.cause.message : String(options.cause)
      }`,
      options,
    );
  }
}
