import { createHash } from 'node:crypto';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { BaseRpcContext, MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import {
  backoffDelay,
  errorForLog,
  forLog,
  MAX_PARTITION_KEY_LENGTH,
  MAX_RECORD_BYTES,
  sleep,
  type KinesisRecord,
  type Logger,
} from '../../../kinesis/src/index.js';
import { instruments, messagingAttributes } from '../../../kinesis/src/telemetry/index.js';
import type { WarnThrottle } from '../../../kinesis/src/untrusted/warn-throttle.js';
import {
  encodeDeadLetterRecords,
  KinesisDeadLetterError,
  withVerdictScope,
  type EventDeadLetter,
} from './dead-letters.js';
import type { ServerKinesisSettings } from './options.js';
import type { ServerKinesisStats } from './types.js';

/** What `handle` resolves to when the shard stopped first: the record must stay uncheckpointed. */
export const ABANDONED = 'abandoned';
/** What `handle` resolves to when the event went to the dead-letter stream (its record is checkpointed). */
export const DEAD_LETTERED = 'dead-lettered';
export type EventOutcome = void | typeof ABANDONED | typeof DEAD_LETTERED;

/** One event to run: its record as read, and one attempt of its handlers (rejects when they fail). */
export interface FailingEvent {
  record: KinesisRecord;
  shardId: string;
  pattern: string;
  id?: string;
  /** The `streams` entry it was read from; absent: the act stream. Named in its dead-letter entry. */
  stream?: string;
  /** Aborted when the shard stops reading (close(), lease lost): retrying stops, the record is read again. */
  stopping?: AbortSignal;
  attempt(): Promise<void>;
}

export interface EventRetrierOptions {
  settings: ServerKinesisSettings;
  stats: ServerKinesisStats;
  logger: Logger;
  warnings: WarnThrottle;
  /** The run's AWS client (for the dead-letter stream). */
  client(): KinesisClient | undefined;
}

/**
 * One attempt of an event's handlers: unlike Nest's handleEvent, it waits for an Observable result to complete
 * and rejects when the handler fails, so a failure can be retried, then dead-lettered. Nest 12: inside the
 * server's processing hooks, as its own transports run handlers.
 */
export async function attemptEvent(
  server: object,
  handler: MessageHandler,
  data: unknown,
  context: BaseRpcContext,
): Promise<void> {
  const run = async (end?: () => void) => {
    try {
      const result = await handler(data, context);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    } finally {
      end?.();
    }
  };
  const hooks = (server as { runWithProcessingHooks?: (...args: unknown[]) => Promise<void> })
    .runWithProcessingHooks;
  await (hooks ? hooks.call(server, context, run) : run());
}

/**
 * What Nest's microservices answer when a guard refuses (RpcException(FORBIDDEN_MESSAGE) through the exception
 * filter): a deliberate refusal by the app (a tenant filter, say), as Nest's own transports drop such an event.
 * Retrying it would stall the shard for good, dead-lettering it would fill the stream with every refused event.
 */
const GUARD_DENIED = 'Forbidden resource';

function deniedByGuard(error: unknown): boolean {
  const { status, message } = (error ?? {}) as { status?: unknown; message?: unknown };
  return status === 'error' && message === GUARD_DENIED;
}

/**
 * What Nest's exception filters left of the error: RpcException's error, `{ status, message }` (any other
 * error becomes "Internal server error" unless a filter of the app passes it on).
 */
function messageOf(error: unknown): unknown {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : error;
}

/**
 * Runs an event's handlers until the event is in one of its places: handled, or in the dead letters, or (the
 * shard stopped first) not checkpointed. Never a fourth: without a dead-letter stream, an event is retried at
 * the largest backoff for as long as it fails. Retries are in place, so with concurrency 1 the shard's later
 * records wait: per-shard order holds.
 */
export class EventRetrier {
  constructor(private readonly o: EventRetrierOptions) {}

  async run(event: FailingEvent): Promise<EventOutcome> {
    const { attempts: maxAttempts, backoff, deadLetterStream } = this.o.settings.eventRetries;
    const { stats } = this.o;
    for (let attempt = 1; ; attempt++) {
      const outcome = await withVerdictScope(event.attempt);
      if (outcome.ok) return;
      if (outcome.verdict === undefined && deniedByGuard(outcome.error)) {
        stats.eventsDenied++; // counted, and checkpointed past: the app refused it
        this.o.logger.debug('event refused by a guard: not retried', { pattern: forLog(event.pattern) });
        return;
      }
      const deadLetterNow = outcome.verdict instanceof KinesisDeadLetterError;
      const retryable = !deadLetterNow && outcome.verdict !== undefined; // KinesisRetryableError
      const message = errorForLog(outcome.verdict ?? messageOf(outcome.error));
      if (deadLetterStream && (deadLetterNow || (!retryable && attempt >= Math.max(1, maxAttempts)))) {
        const written = await this.deadLetter(event, deadLetterStream, attempt, message);
        if (written) return DEAD_LETTERED;
      } else if (deadLetterNow || attempt >= maxAttempts) {
        // No dead-letter stream (or writing it failed): keep the event, never skip it.
        this.o.warnings.warn('event handler keeps failing: retried until it succeeds', {
          streamName: event.stream ?? this.o.settings.actStream,
          pattern: forLog(event.pattern),
          shardId: event.shardId,
          sequenceNumber: event.record.sequenceNumber,
          attempts: attempt,
          error: message,
        });
      } else {
        this.o.logger.debug('event handler failed: retrying', { attempt, error: message });
      }
      if (event.stopping?.aborted) return ABANDONED;
      const delay = attempt >= maxAttempts ? backoff.maxMs : backoffDelay(attempt, backoff);
      await sleep(delay, event.stopping);
      if (event.stopping?.aborted) return ABANDONED;
      stats.eventRetries++;
      this.count('retries', event);
    }
  }

  /** An OpenTelemetry counter of the event's stream (with `telemetry`; no-op without an SDK). */
  private count(counter: 'retries' | 'deadLetters', event: FailingEvent): void {
    if (!this.o.settings.telemetry) return;
    const stream = event.stream ?? this.o.settings.actStream;
    instruments()?.[counter].add(1, messagingAttributes(stream, 'process'));
  }

  /** True when the entry is stored; false (warned) when it could not be: the event is retried, not lost. */
  private async deadLetter(
    event: FailingEvent,
    streamName: string,
    attempts: number,
    error: string,
  ): Promise<boolean> {
    const { record, shardId } = event;
    const client = this.o.client();
    const partitionKey = deadLetterPartitionKey(record.partitionKey);
    try {
      if (!client) throw new Error('server not listening');
      const entry: Omit<EventDeadLetter, 'kind' | 'v'> = {
        stream: event.stream ?? this.o.settings.actStream,
        origin: event.stream === undefined ? 'act' : 'stream',
        shardId,
        sequenceNumber: record.sequenceNumber,
        subSequenceNumber: record.subSequenceNumber,
        partitionKey,
        id: event.id,
        pattern: forLog(event.pattern, 512),
        attempts,
        error,
        at: new Date().toISOString(),
        data: Buffer.from(record.data).toString('base64'),
      };
      // One after the other under one key: the parts of a large entry land in order on one shard.
      const room = MAX_RECORD_BYTES - Buffer.byteLength(partitionKey);
      for (const data of encodeDeadLetterRecords(entry, room))
        await client.send(
          new PutRecordCommand({ StreamName: streamName, PartitionKey: partitionKey, Data: data }),
        );
      this.o.stats.eventsDeadLettered++;
      this.count('deadLetters', event);
      this.o.warnings.warn('event dead-lettered', {
        streamName: event.stream ?? this.o.settings.actStream,
        pattern: forLog(event.pattern),
        shardId,
        sequenceNumber: record.sequenceNumber,
        attempts,
        error,
      });
      return true;
    } catch (failure) {
      this.o.logger.warn('dead-letter write failed: the event is retried', {
        streamName: forLog(streamName),
        error: errorForLog(failure),
      });
      return false;
    }
  }
}

/**
 * The dead-letter record's partition key: the original's, so one producer's dead letters stay in order on the
 * dead-letter stream. A KPL aggregate's user record carries any string (empty, or far past 256 characters):
 * Kinesis refuses it, the write would fail on every retry and the shard would wait for good; its digest keeps
 * the order per key instead (the entry's bytes are still the record's).
 */
function deadLetterPartitionKey(key: string): string {
  // UTF-16 units: at most 256 of them is at most 256 code points, what Kinesis counts.
  if (key.length > 0 && key.length <= MAX_PARTITION_KEY_LENGTH) return key;
  return createHash('sha256').update(key).digest('hex');
}
