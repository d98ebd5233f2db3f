import type { StartingPosition } from '@aws-sdk/client-kinesis';
import type { Checkpoint, StartPosition } from '../types.js';
import { HASH_KEY_READER_DEFAULTS, HashKeyReaderBase, type HashKeyReaderOptions } from './hash-key-reader.js';
import { ShardReader, type ShardReaderOptions } from './shard-reader.js';

export interface PollingHashKeyReaderOptions extends HashKeyReaderOptions {
  /** Least time between two GetRecords, ms. Default HASH_KEY_READER_DEFAULTS.pollIntervalMs. */
  pollIntervalMs?: number;
  /**
   * True while no one awaits records: the reader then stops polling until `wake()` (a shard's 5 reads/s are
   * shared by every reader of it, so an idle one should not spend them). Default: never idle.
   */
  idle?: () => boolean;
}

/**
 * Renewing an iterator without a record to continue after: from this long before the last read began, by
 * arrival time (some endpoints keep it to the second). Records read twice are the reader's caller to ignore
 * (replies by id); missed ones could not be.
 */
const RENEW_SKEW_MS = 2_000;

/** Promise.withResolvers (Node 22) for Node 20. */
interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/**
 * The shard covering a hash key, polled from LATEST: one GetRecords per poll on one shard, so each client can
 * read its own replies without reading every shard. start() resolves once the LATEST iterator is held.
 */
export class PollingHashKeyReader extends HashKeyReaderBase<PollingHashKeyReaderOptions> {
  private current: IdleAwareShardReader | undefined;
  private readonly firstIterator = deferred();

  wake(): void {
    this.current?.wake();
  }

  override async stop(): Promise<void> {
    this.firstIterator.resolve(); // a start() still waiting returns
    await super.stop();
  }

  protected async open(): Promise<StartPosition> {
    return { type: 'LATEST' };
  }

  protected override pausedWhileIdle(): boolean {
    return this.current?.holdingBack ?? false;
  }

  protected override started(): Promise<void> {
    return this.firstIterator.promise;
  }

  protected readerFor(options: ShardReaderOptions, first: boolean): IdleAwareShardReader {
    const pollIntervalMs = this.o.pollIntervalMs ?? HASH_KEY_READER_DEFAULTS.pollIntervalMs;
    this.current = new IdleAwareShardReader(
      { ...options, pollIntervalMs },
      this.o.idle,
      first ? this.firstIterator : undefined,
    );
    return this.current;
  }
}

/**
 * A ShardReader that holds back while idle, and renews an expired iterator with nothing delivered from when
 * its last read began (never LATEST: that would skip what arrived meanwhile). With `firstIterator`, the
 * first GetShardIterator settles it, and a failure ends the reading (start() rejects with it).
 */
class IdleAwareShardReader extends ShardReader {
  private wakeUp: (() => void) | undefined;
  private held = false;
  /** Waiting in beforeRead() while idle. */
  holdingBack = false;

  constructor(
    o: ShardReaderOptions,
    private readonly idle: (() => boolean) | undefined,
    private readonly firstIterator: Deferred | undefined,
  ) {
    super(o);
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Waits while idle; the iterator is kept (renewed on expiry from where reading stopped). */
  protected override async beforeRead(): Promise<void> {
    const idle = this.idle;
    while (idle?.() && !this.stopping) {
      this.holdingBack = true;
      this.reads.paused(); // no read is due while it rests: not a stall
      await new Promise<void>((resolve) => {
        const done = () => {
          this.abort.signal.removeEventListener('abort', done);
          this.wakeUp = undefined;
          resolve();
        };
        this.wakeUp = done;
        this.abort.signal.addEventListener('abort', done);
        if (!idle()) done(); // a call started between the check and now
      });
    }
    this.holdingBack = false;
    this.reads.resumed();
  }

  protected override resumePosition(checkpoint: Checkpoint | undefined): StartingPosition {
    if (this.checkpointer.lastDelivered || this.readUpTo === undefined) {
      const position = super.resumePosition(checkpoint);
      if (position.Type === 'LATEST') this.readUpTo = Date.now(); // what came before is not ours
      return position;
    }
    return { Type: 'AT_TIMESTAMP', Timestamp: new Date(this.readUpTo - RENEW_SKEW_MS) };
  }

  protected override async iteratorFor(position: StartingPosition): Promise<string | undefined> {
    try {
      const iterator = await super.iteratorFor(position);
      this.held = true;
      this.firstIterator?.resolve();
      return iterator;
    } catch (error) {
      if (this.firstIterator && !this.held) {
        this.firstIterator.reject(error);
        this.stop();
      }
      throw error;
    }
  }
}
