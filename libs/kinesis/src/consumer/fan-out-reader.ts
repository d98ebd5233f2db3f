import {
  SubscribeToShardCommand,
  type StartingPosition,
  type SubscribeToShardEvent,
} from '@aws-sdk/client-kinesis';
import type { Checkpoint } from '../types.js';
import { ShardReaderBase, type ShardReaderOptions, type ShardReaderOutcome } from './shard-reader-base.js';

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

/**
 * One shard read through enhanced fan-out (SubscribeToShard): the service pushes records to this consumer's
 * dedicated 2 MiB/s pipe instead of the reader polling the shared one. Same contract as ShardReader: the same
 * options, outcomes, checkpointer and processor calls, each event's records handed over only after the previous
 * processRecords settled (the event stream is not read meanwhile: backpressure down to the connection).
 * Uses the client as given: HTTP/2 on AWS (the SDK's default handler), HTTP/1.1 where a local endpoint needs it.
 */
export class FanOutShardReader extends ShardReaderBase<FanOutShardReaderOptions> {
  /** How far the shard was read: the last event's ContinuationSequenceNumber, once its records were handed over. */
  private continuation: string | undefined;
  /** The checkpointed record is older than the stream's retention: start at TRIM_HORIZON instead. */
  private startAtTrimHorizon = false;
  private eventsReceived = 0;

  /** One subscription after another: renewed on time, after the service ends one, and after errors (backoff). */
  protected async read(checkpoint: Checkpoint | undefined): Promise<ShardReaderOutcome> {
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
        if (!subscription.signal.aborted) await this.afterFailure(error, position);
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
    const leaseLost = await this.deliver(event.Records ?? [], event.MillisBehindLatest);
    if (leaseLost) return leaseLost;
    // The shard's last event: no continuation, and the children of the split or merge that closed it.
    if (!event.ContinuationSequenceNumber || event.ChildShards?.length)
      return { kind: 'ended', finished: false, childShards: event.ChildShards ?? [] };
    this.continuation = event.ContinuationSequenceNumber;
    return undefined;
  }

  private async afterFailure(error: unknown, position: StartingPosition): Promise<void> {
    if (!this.continuation && this.checkpointAgedOut(error, position)) {
      this.startAtTrimHorizon = true;
      return;
    }
    const name = (error as Error).name;
    if (THROTTLING.has(name))
      this.o.logger.debug('subscription refused; retrying', { shardId: this.o.shardId, error: name });
    await this.backOff(error, THROTTLING);
  }

  /**
   * Where the next subscription starts: after the last event handed over (its continuation; else the last
   * record delivered), so neither a renewal nor an error re-delivers or skips; before any, the checkpoint
   * (AT it, skipping the processed sub-records of an aggregate), else the start position.
   */
  private startingPosition(checkpoint: Checkpoint | undefined): StartingPosition {
    const after = this.continuation ?? this.checkpointer.lastDelivered?.sequenceNumber;
    if (after) return { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after };
    if (this.startAtTrimHorizon) return { Type: 'TRIM_HORIZON' };
    return this.positionAt(checkpoint);
  }
}
