import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Consumer,
  type Checkpointer,
  type KinesisRecord,
  type Logger,
  type ProcessRecordsInput,
  type RecordProcessor,
} from '../../kinesis/src/index.js';
import { InOrderTracker } from '../../kinesis/src/consumer/in-order-tracker.js';
import { Semaphore } from '../../kinesis/src/consumer/semaphore.js';
import type { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import type { ServerKinesisSettings } from './shared/options.js';
import { ABANDONED, type EventOutcome } from './shared/event-retries.js';
import type { ShardState } from './shared/protocol.js';

export type { ShardState } from './shared/protocol.js';

/**
 * Records kept waiting for the checkpoint per handler slot: past `max(PENDING_PER_SLOT x concurrency,
 * MIN_PENDING_BOUND)` records behind an unfinished handler, the shard stops taking records until it finishes.
 * Without the bound, one handler that hangs lets reading go on, and every record read after it waits in memory.
 */
export const PENDING_PER_SLOT = 16;
export const MIN_PENDING_BOUND = 64;

export interface ShardWorkOptions {
  shardId: string;
  concurrency: number;
  /**
   * Handles one record; resolves when its work is complete (for a request: the final reply is stored) and
   * never rejects. Calls `handlerDone` as soon as the handler itself has finished, which frees its slot:
   * the next handler need not wait for this reply's round trip to Kinesis.
   */
  handle(
    record: KinesisRecord,
    shardId: string,
    handlerDone: () => void,
    shard: ShardState,
  ): Promise<EventOutcome>;
  /** When close() gives up waiting for handlers in flight. */
  graceDeadline(): number;
  onBatch?(): void;
  /** The shard stopped taking records: `pending` records wait behind the unfinished one at `oldest`. */
  onStall?(pending: number, oldest: string | undefined): void;
}

/**
 * The server's RecordProcessor for one shard of a stream it reads (the act stream, a `streams` entry): up to `concurrency` handlers at once, and a
 * checkpoint that only moves past records whose work is complete with nothing before them pending.
 */
export class ServerShardProcessor implements RecordProcessor, ShardState {
  private readonly slots: Semaphore;
  private readonly tracker = new InOrderTracker();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxPending: number;
  /** Resolved (and replaced) whenever a record's work completes: wakes a shard waiting for room. */
  private completed = signalOnce();
  private finalCheckpointTaken = false;
  private stopSignal: AbortSignal | undefined;

  constructor(private readonly o: ShardWorkOptions) {
    this.slots = new Semaphore(o.concurrency);
    this.maxPending = Math.max(PENDING_PER_SLOT * o.concurrency, MIN_PENDING_BOUND);
  }

  get closed(): boolean {
    return this.finalCheckpointTaken;
  }

  get stopping(): AbortSignal | undefined {
    return this.stopSignal;
  }

  /** Records read and not yet passed by the checkpoint (bounded: see PENDING_PER_SLOT). */
  get pending(): number {
    return this.tracker.pending;
  }

  initialize(): void {}

  async processRecords({ records, checkpointer, signal }: ProcessRecordsInput): Promise<void> {
    this.o.onBatch?.();
    this.stopSignal = signal ?? this.stopSignal;
    for (const record of records) {
      // Stopping (close(), lease lost or handed over): records not started are not checkpointed, and are read
      // again by whoever reads the shard next. Without this, a handler that never finishes would hold its slot,
      // this call, and so the consumer's stop forever.
      if (!(await this.waitForRoom(signal)) || !(await this.acquireSlot(signal))) break;
      const done = this.tracker.start(record);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.slots.release();
      };
      const work = this.o.handle(record, this.o.shardId, release, this).then((outcome) => {
        // ABANDONED: given up on while stopping; never marked complete, so no checkpoint passes it.
        if (outcome !== ABANDONED) done();
        release();
        this.inFlight.delete(work);
        this.completed.resolve();
        this.completed = signalOnce();
      });
      this.inFlight.add(work);
    }
    // One turn of the event loop before the next GetRecords: handlers that finish at once (most) complete and
    // their replies share PutRecords calls, and the shard's next read returns more per call. Every call costs
    // the same CPU whatever it carries, so this is what keeps a busy server from spinning on small reads.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.checkpointAdvance(checkpointer);
  }

  leaseLost(): void {}

  async shardEnded({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    await Promise.all(this.inFlight);
    await checkpointer.checkpoint();
  }

  async shutdownRequested({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    const remaining = this.o.graceDeadline() - Date.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.inFlight),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, remaining)))),
    ]);
    clearTimeout(timer);
    // From here on, work that finishes is past the final checkpoint: its reply is refused (see ShardState).
    const at = this.tracker.takeAdvance();
    this.finalCheckpointTaken = true;
    if (at) await checkpointer.checkpoint(at);
  }

  /** Waits while too many records wait for the checkpoint; false when `signal` aborted first. */
  private async waitForRoom(signal: AbortSignal | undefined): Promise<boolean> {
    if (this.tracker.pending < this.maxPending) return true;
    this.o.onStall?.(this.tracker.pending, this.tracker.oldestPending?.sequenceNumber);
    while (this.tracker.pending >= this.maxPending) {
      if (signal?.aborted) return false;
      if (!(await this.untilAborted(this.completed.promise, signal))) return false;
    }
    return true;
  }

  /** Whether `promise` settled before `signal` aborted. */
  private async untilAborted(promise: Promise<unknown>, signal: AbortSignal | undefined): Promise<boolean> {
    if (!signal) return promise.then(() => true);
    if (signal.aborted) return false;
    let onAbort!: () => void;
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const won = await Promise.race([promise.then(() => true as const), aborted]);
    signal.removeEventListener('abort', onAbort);
    return won;
  }

  /** False when `signal` aborted first (a slot granted after that is given back). */
  private async acquireSlot(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return false;
    const acquired = this.slots.acquire();
    const won = await this.untilAborted(acquired, signal);
    if (!won) void acquired.then(() => this.slots.release());
    return won;
  }

  private async checkpointAdvance(checkpointer: Checkpointer): Promise<void> {
    const at = this.tracker.takeAdvance();
    if (at) await checkpointer.checkpoint(at);
  }
}

function signalOnce(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Where a server consumer reads and how: the act stream's settings, or a `streams` entry over them. */
export interface ConsumedStreamSettings {
  name: string;
  startPosition: ServerKinesisSettings['startPosition'];
  pollIntervalMs: number;
  concurrency: number;
  fanOut: ServerKinesisSettings['fanOut'];
}

export interface ServerConsumerOptions extends Pick<
  ShardWorkOptions,
  'handle' | 'graceDeadline' | 'onBatch'
> {
  client: KinesisClient;
  settings: ServerKinesisSettings;
  /** The stream read: checkpoints and leases are kept per stream name (the stores' keys, the lease table's name). */
  stream: ConsumedStreamSettings;
  logger: Logger;
  /** Record-caused warnings (a stalled shard), bounded in rate. */
  warnings: WarnThrottle;
  /** The `appName` the user gave (not its default): it names the lease table unless the leases name their own. */
  appName: string | undefined;
}

/** The act stream as a server consumer reads it. */
export const actStreamSettings = (settings: ServerKinesisSettings): ConsumedStreamSettings => ({
  name: settings.actStream,
  startPosition: settings.startPosition,
  pollIntervalMs: settings.pollIntervalMs,
  concurrency: settings.concurrency,
  fanOut: settings.fanOut,
});

/** A server's consumer of one stream: every shard at once, each through a ServerShardProcessor. */
export function serverStreamConsumer(o: ServerConsumerOptions): Consumer {
  const { settings, stream } = o;
  return new Consumer({
    client: o.client,
    streamName: stream.name,
    checkpointStore: settings.checkpointStore,
    startPosition: stream.startPosition,
    pollIntervalMs: stream.pollIntervalMs,
    fanOut: stream.fanOut,
    leases: settings.leases && { appName: o.appName, ...settings.leases },
    callProcessRecordsEvenForEmptyRecordList: true, // empty polls still checkpoint finished work
    logger: o.logger,
    processorFactory: (shardId) =>
      new ServerShardProcessor({
        shardId,
        concurrency: stream.concurrency,
        handle: o.handle,
        graceDeadline: o.graceDeadline,
        onBatch: o.onBatch,
        onStall: (pending, oldest) =>
          o.warnings.warn('shard stopped reading: records wait behind a handler that has not finished', {
            streamName: stream.name,
            shardId,
            pending,
            sequenceNumber: oldest,
          }),
      }),
  });
}
