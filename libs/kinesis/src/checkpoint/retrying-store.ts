import { backoffDelay, sleep } from '../backoff.js';
import { CheckpointStoreError, InvalidCheckpointError, LeaseLostError } from '../errors.js';
import { defaultLogger, type Logger } from '../logger.js';
import type { Checkpoint, CheckpointStore } from '../types.js';

export interface RetryOptions {
  /** Calls in all, the first included. Default: 3. */
  attempts?: number;
  /** First backoff ceiling, ms. Default: 100. */
  baseMs?: number;
  /** Largest backoff ceiling, ms. Default: 2,000. */
  maxMs?: number;
  logger?: Logger;
}

/**
 * Wraps a store so get/set retry with backoff, then reject with CheckpointStoreError carrying the last
 * error as `cause`. Errors no retry can fix are rethrown as they are, at once: LeaseLostError (the shard
 * is someone else's now) and InvalidCheckpointError (the caller's checkpoint is malformed).
 */
export function withRetries(store: CheckpointStore, options: RetryOptions = {}): CheckpointStore {
  const { attempts = 3, baseMs = 100, maxMs = 2_000, logger = defaultLogger } = options;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`withRetries: attempts must be a positive integer, got ${attempts}`);
  }

  async function run<T>(
    operation: 'get' | 'set',
    streamName: string,
    shardId: string,
    call: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (error instanceof LeaseLostError || error instanceof InvalidCheckpointError) throw error;
        if (attempt >= attempts) {
          throw new CheckpointStoreError(operation, streamName, shardId, attempt, { cause: error });
        }
        const delayMs = backoffDelay(attempt, { baseMs, maxMs });
        logger.warn('checkpoint store call failed, retrying', {
          operation,
          streamName,
          shardId,
          attempt,
          attempts,
          delayMs,
          error: error instanceof Error ? error.message : String(error),
        });
        await sleep(delayMs);
      }
    }
  }

  return {
    get: (streamName: string, shardId: string) =>
      run('get', streamName, shardId, () => store.get(streamName, shardId)),
    set: (streamName: string, shardId: string, checkpoint: Checkpoint) =>
      run('set', streamName, shardId, () => store.set(streamName, shardId, checkpoint)),
    close: async () => {
      await store.close?.();
    },
  };
}
