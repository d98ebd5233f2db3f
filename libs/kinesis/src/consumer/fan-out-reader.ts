import {
  SubscribeToShardCommand,
  type StartingPosition,
  type SubscribeToShardEvent,
} from '@aws-sdk/client-kinesis';
import { backoffDelay, sleep } from '../backoff.js';
import type { Checkpoint } from '../types.js';
import { isShardEnd, LATEST, TRIM_HORIZON } from '../types.js';
import { comparePositions, isSequenceNumber, toUserRecords } from './records.js';
import { ShardCheckpointer } from './shard-checkpointer.js';
import type { ShardReaderOptions, ShardReaderOutcome } from './shard-reader.js';

export interface FanOutShardReaderOptions extends ShardReaderOptions {
  /** The registered consumer (ensureStreamConsumer) whose dedicated throughput this reader uses. */
  consumerArn: string;
  /** Renew each subscription after this long, ms. Default 5 minutes: the service ends one after 5 minutes. */
  subscriptionRenewMs?: number;
}

const FIVE_MINUTES = 5 * 60_000;

/** Worth a backoff but not an error report. */
const THROTTLING = new Set([
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  // Another subscription on this consumer and shard is active, or began less than 5 s ago (ours, renewed).
  'ResourceInUseException',
]);

type UserRecords = ReturnType<typeof toUserRecords>;

/**
 * One shard read through enhanced fan-out (SubscribeToShard): the service pushes records to this consumer's
 * dedicated 2 MiB/s pipe instead of the reader polling the shared one. Same contract as ShardReader: the same
 * options, outcomes, checkpointer and processor calls, each event's records handed over only after the previous
 * processRecords settled (the event stream is not read meanwhile: backpressure down to the connection).
 * Uses the client as given: HTTP/2 on AWS (the SDK's default handler), HTTP/1.1 where a local endpoint needs it.
 */
export class FanOutShardReader {
  private readonly abort = new AbortController();
  private stopping = false;
  private readonly checkpointer: ShardCheckpointer;
  /** Sub-records of this sequence number up to this sub-sequence were processed before a restart. */
  private skipThrough: Checkpoint | undefined;
  /** How far the shard was read: the last event's ContinuationSequenceNumber, once its records were handed over. */
  private continuation: string | undefined;
  /** The checkpointed record is older than the stream's retention: start at TRIM_HORIZON instead. */
  private checkpointAgedOut = false;
  private failures = 0;
  private eventsReceived = 0;

  constructor(private readonly o: FanOutShardReaderOptions) {
    this.checkpointer = new ShardCheckpointer(o.store, o.streamName, o.shardId, (e) =>
      o.onError(e, o.shardId),
    );
  }

  get shardId(): string {
    return this.o.shardId;
  }

  /** Ends the subscription soon; `run()` then calls shutdownRequested and resolves. */
  stop(): void {
    this.stopping = true;
    this.abort.abort();
  }

  /** The shard's lease is gone: ends the subscription soon; the processor gets leaseLost, not shutdownRequested. */
  loseLease(): void {
    this.checkpointer.leaseLost = true;
    this.stop();
  }

  async run(): Promise<ShardReaderOutcome> {
    const { processor, shardId } = this.o;
    const checkpoint = await this.o.store.get(this.o.streamName, shardId);
    this.checkpointer.current = checkpoint;
    if (isShardEnd(checkpoint)) return { kind: 'ended', finished: true, childShards: [] };
    await processor.initialize({
      shardId,
      sequenceNumber: checkpoint?.sequenceNumber ?? this.o.startPosition.type,
      subSequenceNumber: checkpoint?.subSequenceNumber ?? 0,
    });
    const outcome = await this.loop(checkpoint);
    if (outcome.kind === 'leaseLost' || this.checkpointer.leaseLost) {
      await processor.leaseLost();
      return { kind: 'leaseLost' };
    }
    if (outcome.kind === 'ended') {
      await processor.shardEnded({ checkpointer: this.checkpointer.scoped({ kind: 'shardEnd' }) });
      const finished = isShardEnd(this.checkpointer.current);
      if (!finished)
        this.o.logger.warn('shardEnded did not checkpoint SHARD_END: child shards stay blocked', { shardId });
      return { ...outcome, finished };
    }
    await processor.shutdownRequested({ checkpointer: this.checkpointer.scoped({ kind: 'shutdown' }) });
    return outcome;
  }

  /** One subscription after another: renewed on time, after the service ends one, and after errors (backoff). */
  private async loop(checkpoint: Checkpoint | undefined): Promise<ShardReaderOutcome> {
    while (!this.stopping) {
      const subscription = new AbortController();
      const onStop = () => subscription.abort();
      this.abort.signal.addEventListener('abort', onStop);
      // Aborting mid-batch loses nothing: the next subscription starts after the last event handed over.
      const renewal = setTimeout(() => subscription.abort(), this.o.subscriptionRenewMs ?? FIVE_MINUTES);
      const position = this.startingPosition(checkpoint);
      const received = this.eventsReceived;
      try {
        const outcome = await this.subscribe(position, subscription.signal);
        if (outcome) return outcome;
        // Ended by the service: resubscribe at once, unless it ended before any event (no spinning).
        if (this.eventsReceived === received && !subscription.signal.aborted) await this.pause();
      } catch (error) {
        if (this.stopping) break;
        if (!subscription.signal.aborted) await this.backOff(error, position);
      } finally {
        clearTimeout(renewal);
        this.abort.signal.removeEventListener('abort', onStop);
        // Leaving the iteration alone keeps the response open, and the service counts it as subscribed.
        subscription.abort();
      }
    }
    return { kind: 'stopped' };
  }

  /** Reads one subscription's events; undefined when it ended without the shard ending (resubscribe). */
  private async subscribe(
    position: StartingPosition,
    signal: AbortSignal,
  ): Promise<ShardReaderOutcome | undefined> {
    const { client, consumerArn, shardId } = this.o;
    const { EventStream } = await client.send(
      new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: position }),
      { abortSignal: signal },
    );
    if (!EventStream) return undefined;
    // The SDK throws the stream's exception events (InternalFailureException, ...) from the iteration.
    for await (const message of EventStream) {
      if (!message.SubscribeToShardEvent) continue;
      this.eventsReceived++;
      this.failures = 0;
      const outcome = await this.handle(message.SubscribeToShardEvent);
      if (outcome || this.stopping) return outcome;
    }
    return undefined;
  }

  private async handle(event: SubscribeToShardEvent): Promise<ShardReaderOutcome | undefined> {
    const records = this.skipProcessed(toUserRecords(event.Records ?? []));
    if (records.length > 0 || this.o.callProcessRecordsEvenForEmptyRecordList) {
      await this.deliver(records, event.MillisBehindLatest);
      if (this.checkpointer.leaseLost) return { kind: 'leaseLost' };
    }
    // The shard's last event: no continuation, and the children of the split or merge that closed it.
    if (!event.ContinuationSequenceNumber || event.ChildShards?.length)
      return { kind: 'ended', finished: false, childShards: event.ChildShards ?? [] };
    this.continuation = event.ContinuationSequenceNumber;
    return undefined;
  }

  private async deliver(records: UserRecords, millisBehindLatest: number | undefined): Promise<void> {
    const last = records.at(-1);
    if (last) this.checkpointer.lastDelivered = last;
    try {
      await this.o.processor.processRecords({
        records,
        millisBehindLatest,
        checkpointer: this.checkpointer.scoped({ kind: 'batch', last }),
      });
    } catch (error) {
      // As the KCL: a processor's exception is reported and reading goes on; the processor owns retries.
      this.o.logger.error('processRecords threw', {
        shardId: this.o.shardId,
        error: (error as Error).message,
      });
      this.o.onError(error, this.o.shardId);
    }
  }

  private async backOff(error: unknown, position: StartingPosition): Promise<void> {
    const { shardId, logger } = this.o;
    const name = (error as Error).name;
    if (position.Type === 'AT_SEQUENCE_NUMBER' && name === 'InvalidArgumentException' && !this.continuation) {
      // A checkpoint older than the stream's retention no longer has its record.
      logger.warn('checkpointed sequence number has aged out; reading from TRIM_HORIZON', {
        shardId,
        sequenceNumber: position.SequenceNumber,
        error: (error as Error).message,
      });
      this.checkpointAgedOut = true;
      this.skipThrough = undefined;
      return;
    }
    if (THROTTLING.has(name)) {
      logger.debug('subscription refused; retrying', { shardId, error: name });
      this.o.onThrottled(shardId);
    } else {
      this.o.onError(error, shardId);
    }
    await this.pause();
  }

  private async pause(): Promise<void> {
    this.failures++;
    await sleep(backoffDelay(this.failures, this.o.throttleBackoff), this.abort.signal);
  }

  /**
   * Where the next subscription starts: after the last event handed over (its continuation; else the last
   * record delivered), so neither a renewal nor an error re-delivers or skips; before any, the checkpoint
   * (AT it, skipping the processed sub-records of an aggregate), else the start position.
   */
  private startingPosition(checkpoint: Checkpoint | undefined): StartingPosition {
    const after = this.continuation ?? this.checkpointer.lastDelivered?.sequenceNumber;
    if (after) return { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after };
    if (this.checkpointAgedOut) return { Type: 'TRIM_HORIZON' };
    const sequenceNumber = checkpoint?.sequenceNumber;
    if (sequenceNumber && isSequenceNumber(sequenceNumber)) {
      this.skipThrough = checkpoint;
      return { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: sequenceNumber };
    }
    if (sequenceNumber === TRIM_HORIZON || sequenceNumber === LATEST) return { Type: sequenceNumber };
    const start = this.o.startPosition;
    return start.type === 'AT_TIMESTAMP'
      ? { Type: 'AT_TIMESTAMP', Timestamp: start.timestamp }
      : { Type: start.type };
  }

  /** After a restart inside a KPL aggregate, drops the sub-records already checkpointed. */
  private skipProcessed(records: UserRecords): UserRecords {
    const skip = this.skipThrough;
    if (!skip || records.length === 0) return records;
    const kept = records.filter((r) => comparePositions(r, skip) > 0);
    if (kept.length > 0 || BigInt(records.at(-1)!.sequenceNumber) > BigInt(skip.sequenceNumber)) {
      this.skipThrough = undefined;
    }
    return kept;
  }
}
