import type {
  KinesisRecord,
  ProcessRecordsInput,
  RecordProcessor,
  Checkpointer,
} from '../../kinesis/src/index.js';
import { InOrderTracker } from './in-order-tracker.js';
import { Semaphore } from './semaphore.js';

export interface ShardWorkOptions {
  shardId: string;
  concurrency: number;
  /**
   * Handles one record; resolves when its work is complete (for a request: the final reply is stored) and
   * never rejects. Calls `handlerDone` as soon as the handler itself has finished, which frees its slot:
   * the next handler need not wait for this reply's round trip to Kinesis.
   */
  handle(record: KinesisRecord, shardId: string, handlerDone: () => void): Promise<void>;
  /** When close() gives up waiting for handlers in flight. */
  graceDeadline(): number;
  onBatch?(): void;
}

/**
 * The server's RecordProcessor for one shard of the act stream: up to `concurrency` handlers at once, and a
 * checkpoint that only moves past records whose work is complete with nothing before them pending.
 */
export class ServerShardProcessor implements RecordProcessor {
  private readonly slots: Semaphore;
  private readonly tracker = new InOrderTracker();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly o: ShardWorkOptions) {
    this.slots = new Semaphore(o.concurrency);
  }

  initialize(): void {}

  async processRecords({ records, checkpointer, signal }: ProcessRecordsInput): Promise<void> {
    this.o.onBatch?.();
    for (const record of records) {
      // Stopping (close(), lease lost or handed over): records not started are not checkpointed, and are read
      // again by whoever reads the shard next. Without this, a handler that never finishes would hold its slot,
      // this call, and so the consumer's stop forever.
      if (!(await this.acquireSlot(signal))) break;
      const done = this.tracker.start(record);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.slots.release();
      };
      const work = this.o.handle(record, this.o.shardId, release).finally(() => {
        done();
        release();
        this.inFlight.delete(work);
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
    await this.checkpointAdvance(checkpointer);
  }

  /** False when `signal` aborted first (a slot granted after that is given back). */
  private async acquireSlot(signal: AbortSignal | undefined): Promise<boolean> {
    if (!signal) return this.slots.acquire().then(() => true);
    if (signal.aborted) return false;
    let onAbort!: () => void;
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const acquired = this.slots.acquire().then(() => true as const);
    const won = await Promise.race([acquired, aborted]);
    signal.removeEventListener('abort', onAbort);
    if (!won) void acquired.then(() => this.slots.release());
    return won;
  }

  private async checkpointAdvance(checkpointer: Checkpointer): Promise<void> {
    const at = this.tracker.takeAdvance();
    if (at) await checkpointer.checkpoint(at);
  }
}
