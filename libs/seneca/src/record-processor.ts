import {
  errorForLog,
  forLog,
  type Checkpointer,
  type InitializeInput,
  type KinesisRecord,
  type Logger,
  type ProcessRecordsInput,
  type RecordProcessor,
} from '../../kinesis/src/index.js';
import { InOrderTracker } from '../../kinesis/src/consumer/in-order-tracker.js';
import { Semaphore } from '../../kinesis/src/consumer/semaphore.js';
import { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import { decodeLegacySenecaAct, InvalidSenecaEnvelopeError, type LegacySenecaAct } from './wire/index.js';

/** What the listener gives each shard's processor. */
export interface RecordProcessorContext {
  shardId: string;
  /** `<topic>_act` to `<topic>`, for the listener's topics: records with any other partition key are not ours. */
  topicsByPartitionKey: ReadonlyMap<string, string>;
  logger: Logger;
  /**
   * Hands a request to seneca-transport's `handle_request`; replies are written by the listener. Returns what
   * settles once the act is finished (its reply stored, or no reply due), or nothing when there is no work.
   * `shardOpen()` turns false once the shard's final checkpoint is taken: an act finishing later is read again
   * after a restart, so its reply must not be written now.
   */
  handleRequest(
    request: LegacySenecaAct,
    topic: string,
    record: KinesisRecord,
    shardOpen: () => boolean,
  ): Promise<void> | void;
  /** Acts of this shard running at once; reading the shard pauses while this many run (option maxActsInFlight). */
  maxActsInFlight: number;
  /** How long a shutdown waits for running acts before its checkpoint, ms (option closeGracePeriodMs). */
  closeGracePeriodMs: number;
  /** Where record-caused warnings go, bounded in rate (default: one of its own over `logger`). */
  warnings?: WarnThrottle;
  /** Counts every skipped record, whatever is logged. */
  stats?: { skipped: number };
}

export type SenecaRecordProcessorClass = new (context: RecordProcessorContext) => RecordProcessor;

/**
 * The listener's processor for one shard of the act stream: keeps the records addressed to the listener's
 * topics, decodes them and hands them on. A bad record is logged at warn (never its data) and skipped; nothing
 * a record holds can stop the shard. Up to `maxActsInFlight` acts run at once without waiting for each
 * other (an action may call another remote action); the checkpoint only moves past records whose act is
 * finished with nothing before it pending, so a listener that dies mid-action has the act re-read.
 */
export class SenecaRecordProcessor implements RecordProcessor {
  private readonly tracker = new InOrderTracker();
  private readonly slots: Semaphore;
  private readonly running = new Set<Promise<void>>();
  private readonly warnings: WarnThrottle;
  /** Past the shutdown's final checkpoint: replies of acts still running are not written. */
  private closed = false;
  private readonly shardOpen = () => !this.closed;

  constructor(protected readonly context: RecordProcessorContext) {
    this.slots = new Semaphore(context.maxActsInFlight);
    this.warnings = context.warnings ?? new WarnThrottle(context.logger);
  }

  initialize(_input: InitializeInput): void {}

  /** Acts of this shard handed off and not finished. */
  get actsInFlight(): number {
    return this.running.size;
  }

  async processRecords({ records, checkpointer, signal }: ProcessRecordsInput): Promise<void> {
    for (const record of records) {
      // A full shard stops reading here until an act finishes, or until the consumer stops: the records not
      // taken are not checkpointed (read again after a restart), and shutdown can start its grace period.
      if (!(await this.acquireSlot(signal))) break;
      const done = this.tracker.start(record);
      let work: Promise<void> | void = undefined;
      try {
        work = this.processRecord(record);
      } catch (error) {
        this.context.logger.error('request handling threw', {
          ...this.where(record),
          error: errorForLog(error),
        });
      }
      if (!work) {
        done();
        this.slots.release();
        continue;
      }
      const tracked: Promise<void> = work
        .catch((error: unknown) =>
          this.context.logger.error('request handling failed', {
            ...this.where(record),
            error: errorForLog(error),
          }),
        )
        .finally(() => {
          done();
          this.slots.release();
          this.running.delete(tracked);
        });
      this.running.add(tracked);
    }
    await this.checkpointAdvance(checkpointer, 'batch');
  }

  leaseLost(): void {}

  /** A slot for one act; false (no slot held) once `signal` aborted. */
  private async acquireSlot(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return false;
    const acquired = this.slots.acquire();
    if (!signal) return acquired.then(() => true);
    let onAbort = () => {};
    const aborted = new Promise<false>((resolve) => {
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const got = await Promise.race([acquired.then(() => true), aborted]);
    signal.removeEventListener('abort', onAbort);
    if (!got) void acquired.then(() => this.slots.release()); // the slot, once granted, goes to the next waiter
    return got;
  }

  async shardEnded({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    await Promise.all(this.running);
    await this.checkpoint(checkpointer, 'shard end'); // SHARD_END: lets the shard's children start
  }

  /** Waits (up to the grace period) for running acts, then checkpoints past the finished ones only. */
  async shutdownRequested({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    const grace = this.context.closeGracePeriodMs;
    if (this.running.size > 0 && grace > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(this.running),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, grace))),
      ]);
      clearTimeout(timer);
    }
    await this.checkpointAdvance(checkpointer, 'shutdown');
    this.closed = true;
  }

  /** One record: the act's work, or nothing when the record is not ours or not a request. */
  protected processRecord(record: KinesisRecord): Promise<void> | void {
    const topic = this.context.topicsByPartitionKey.get(record.partitionKey);
    if (topic === undefined) return; // another listener's topic, or not Seneca at all
    let request: LegacySenecaAct;
    try {
      request = this.decode(record);
    } catch (error) {
      this.skip(record, error);
      return;
    }
    return this.context.handleRequest(request, topic, record, this.shardOpen);
  }

  protected decode(record: KinesisRecord): LegacySenecaAct {
    return decodeLegacySenecaAct(record.data);
  }

  protected skip(record: KinesisRecord, error: unknown): void {
    const reason = error instanceof InvalidSenecaEnvelopeError ? error.reason : errorForLog(error);
    if (this.context.stats) this.context.stats.skipped++;
    this.warnings.warn('act-stream record skipped', { ...this.where(record), reason });
  }

  protected where(record: KinesisRecord): Record<string, unknown> {
    return {
      shardId: this.context.shardId,
      partitionKey: forLog(record.partitionKey),
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
    };
  }

  private async checkpointAdvance(checkpointer: Checkpointer, when: string): Promise<void> {
    const at = this.tracker.takeAdvance();
    if (at) await this.checkpoint(checkpointer, when, at);
  }

  /** A failed checkpoint costs re-delivery after a restart, not the shard: log it and go on. */
  protected async checkpoint(checkpointer: Checkpointer, when: string, at?: KinesisRecord): Promise<void> {
    try {
      await checkpointer.checkpoint(at);
    } catch (error) {
      this.context.logger.warn('checkpoint failed', {
        shardId: this.context.shardId,
        when,
        error: errorForLog(error),
      });
    }
  }
}
