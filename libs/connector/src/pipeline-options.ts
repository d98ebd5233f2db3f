/** What a shard's pipeline is made of, and its defaults (one place: the processor and the connector read them). */
import type { Logger } from '../../kinesis/src/index.js';
import type { BufferFactory, DeadLetterSink, Emitter, Filter, Transformer } from './interfaces.js';
import type { PipelineObserver } from './pipeline-observer.js';

export interface PipelineOptions<T> {
  streamName: string;
  transformer: Transformer<T>;
  filter: Filter<T>;
  bufferFactory: BufferFactory<T>;
  emitter: Emitter<T>;
  deadLetter: DeadLetterSink;
  logger: Logger;
  observer?: PipelineObserver;
  /** Emits of a batch's failed items before they are dead-lettered (default 3). */
  emitAttempts?: number;
  /** Backoff between emit attempts, and while the destination is unavailable (default 200 ms to 10 s). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** How often the buffer's age is checked with no record arriving, ms (default 250). */
  ageCheckIntervalMs?: number;
  /**
   * On shutdown, how long the last write (emit, dead letters, checkpoint) is waited for, ms (default 10,000).
   * Past it, shutdownRequested returns and what was not stored stays uncheckpointed (re-read after a restart).
   */
  shutdownTimeoutMs?: number;
}

/** The defaults of the optional PipelineOptions. */
export const PIPELINE_DEFAULTS = Object.freeze({
  emitAttempts: 3,
  backoff: Object.freeze({ baseMs: 200, maxMs: 10_000 }),
  ageCheckIntervalMs: 250,
  shutdownTimeoutMs: 10_000,
});
