import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { BaseRpcContext, MessageHandler } from '@nestjs/microservices';
import {
  ensureStream,
  forLog,
  leaseTableName,
  type KinesisRecord,
  type Logger,
} from '../../kinesis/src/index.js';
import type { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import type { ConsumedStreamSettings } from './server-shard-processor.js';
import {
  defaultDeserializer,
  MAX_STREAM_PATTERN_LENGTH,
  type RecordDeserializer,
  type StreamEvent,
  type StreamRecord,
} from './shared/consumed-streams.js';
import { KinesisDeadLetterError } from './shared/dead-letters.js';
import type { EventOutcome, EventRetrier, FailingEvent } from './shared/event-retries.js';
import { KinesisContext } from './shared/kinesis.context.js';
import { ProcessTrace } from './shared/message-telemetry.js';
import { streamShardCounts, type ServerKinesisSettings } from './shared/options.js';
import type { ShardState } from './shared/protocol.js';
import type { ServerKinesisStats } from './shared/types.js';

/** A `streams` entry with every default filled in. */
export interface ConsumedStream extends ConsumedStreamSettings {
  /** The default deserializer's pattern: also what logs and dead-letter entries name before a record decoded. */
  pattern: string;
  /** The user's; undefined: the default (defaultDeserializer of `pattern`). */
  deserializer: RecordDeserializer | undefined;
}

const STREAM_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** DynamoDB's rule for a table name. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

const isPattern = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_STREAM_PATTERN_LENGTH;

/** The server's `streams`, checked: each read once, never the act or dead-letter stream (a failure would loop). */
export function consumedStreams(settings: ServerKinesisSettings): ConsumedStream[] {
  const { streams } = settings;
  if (!Array.isArray(streams)) throw new TypeError('streams must be an array of { name, ... }');
  // Lease items are keyed by shard id: two streams in one fixed table would take each other's leases.
  if (streams.length > 0 && settings.leases?.tableName)
    throw new TypeError(
      'leases.tableName holds one stream: with `streams`, let appName name a table per stream',
    );
  const taken = new Set([settings.actStream, settings.eventRetries.deadLetterStream]);
  return streams.map((entry) => {
    const name = (entry as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || !STREAM_NAME.test(name))
      throw new TypeError('streams: each entry needs a stream name (1-128 characters of [A-Za-z0-9_.-])');
    if (taken.has(name))
      throw new TypeError(`streams: "${name}" is listed twice, or is the act or the dead-letter stream`);
    taken.add(name);
    checkLeaseTable(settings, name);
    if (entry.deserializer !== undefined && typeof entry.deserializer !== 'function')
      throw new TypeError(`streams: the deserializer of "${name}" must be a function`);
    if (entry.deserializer && entry.pattern !== undefined)
      throw new TypeError(`streams: "${name}" has a deserializer: its records' patterns are its to choose`);
    const pattern = entry.pattern ?? name;
    if (!isPattern(pattern))
      throw new TypeError(
        `streams: the pattern of "${name}" must be 1-${MAX_STREAM_PATTERN_LENGTH} characters`,
      );
    return {
      name,
      pattern,
      deserializer: entry.deserializer,
      startPosition: entry.startPosition ?? settings.startPosition,
      pollIntervalMs: entry.pollIntervalMs ?? settings.pollIntervalMs,
      concurrency: entry.concurrency ?? settings.concurrency,
      fanOut: entry.fanOut ?? settings.fanOut,
    };
  });
}

/**
 * With `leases`, a stream's lease table is `<appName>-<stream>`: one DynamoDB refuses (an appName with other
 * characters, or too long beside a long stream name) is refused here, not once the other consumers read.
 */
function checkLeaseTable(settings: ServerKinesisSettings, name: string): void {
  if (!settings.leases) return;
  if (TABLE_NAME.test(leaseTableName(settings.leases.appName ?? settings.appName, name))) return;
  throw new TypeError(
    `streams: the lease table of "${name}", <appName>-${name}, is no DynamoDB table name (3-255 characters of [A-Za-z0-9_.-])`,
  );
}

/** With `createStreams`: the `streams` too (`createStreams.streams` shards each, the act stream's KMS key). */
export async function createConsumedStreams(
  client: KinesisClient,
  settings: ServerKinesisSettings,
  streams: readonly ConsumedStream[],
): Promise<void> {
  const counts = streamShardCounts(settings.createStreams);
  if (!counts) return;
  const encryption = counts.kmsKeyId ? { keyId: counts.kmsKeyId } : undefined;
  for (const { name } of streams)
    await ensureStream(client, name, { shardCount: counts.streams, encryption });
}

export interface StreamIntakeOptions {
  stream: ConsumedStream;
  stats: ServerKinesisStats;
  logger: Logger;
  warnings: WarnThrottle;
  retrier: EventRetrier;
  /** Whether `eventRetries` has a dead-letter stream: where a record with a refused pattern goes. */
  deadLetters: boolean;
  /** Nest's handler of a pattern, if any. */
  handler(pattern: string): MessageHandler | undefined;
  /** Nest's route of an object pattern, as @EventPattern({ ... }) registers it (keys sorted). */
  route(pattern: object): string;
  /** One attempt of a handler (the server's attemptEvent). */
  attempt(handler: MessageHandler, data: unknown, context: BaseRpcContext): Promise<void>;
  reportError(error: unknown): void;
  /** The server's `telemetry`: a `process <stream>` span per record. */
  telemetry: boolean;
}

/** One StreamIntake per `streams` entry (checked: see consumedStreams). */
export function streamIntakes(
  settings: ServerKinesisSettings,
  server: Omit<StreamIntakeOptions, 'stream' | 'deadLetters' | 'telemetry'>,
): StreamIntake[] {
  const deadLetters = settings.eventRetries.deadLetterStream !== undefined;
  const { telemetry } = settings;
  return consumedStreams(settings).map(
    (stream) => new StreamIntake({ ...server, stream, deadLetters, telemetry }),
  );
}

/**
 * A `streams` entry's records: each one through its deserializer, then to an @EventPattern handler as an
 * event, with the act stream's retries and dead letters. Events only: a @MessagePattern handler is never run
 * (there is no caller to answer).
 */
export class StreamIntake {
  private readonly deserialize: RecordDeserializer;

  constructor(private readonly o: StreamIntakeOptions) {
    this.deserialize = o.stream.deserializer ?? defaultDeserializer(o.stream.pattern);
  }

  get stream(): ConsumedStream {
    return this.o.stream;
  }

  /** Refuses to listen when the default pattern has no @EventPattern handler: every record would be skipped. */
  checkHandlers(): void {
    const { name, pattern, deserializer } = this.o.stream;
    if (deserializer) return; // its patterns are known record by record
    const handler = this.o.handler(pattern);
    if (handler?.isEventHandler) return;
    const why = handler ? 'a @MessagePattern: these records are events, no caller awaits a reply' : 'none';
    throw new TypeError(`streams: "${name}" needs an @EventPattern('${pattern}') handler (found ${why})`);
  }

  /** One record: never rejects, so one record cannot stop its shard. */
  async handle(
    record: KinesisRecord,
    shardId: string,
    _handlerDone: () => void,
    shard: ShardState,
  ): Promise<EventOutcome> {
    const { stream } = this.o;
    const raw: StreamRecord = { ...record, streamName: stream.name, shardId };
    const seen = { event: false, invalid: false };
    const event: FailingEvent = {
      record,
      shardId,
      pattern: stream.pattern,
      stream: stream.name,
      stopping: shard.stopping,
      attempt: () => this.attempt(raw, event, seen),
    };
    const trace = ProcessTrace.forStreamRecord(this.o.telemetry, { ...event, stream: stream.name });
    try {
      const outcome = await trace.span.run(() => this.o.retrier.run(event));
      trace.eventDone(outcome, event.pattern);
      return outcome;
    } catch (error) {
      trace.handled('error');
      this.o.reportError(error);
    } finally {
      trace.end();
    }
  }

  /** One attempt: the deserializer, then the handler. What either throws fails the attempt (retried). */
  private async attempt(
    raw: StreamRecord,
    event: FailingEvent,
    seen: { event: boolean; invalid: boolean },
  ): Promise<void> {
    const { stats, stream } = this.o;
    const decoded: StreamEvent | undefined = await this.deserialize(raw);
    const where = { streamName: stream.name, shardId: raw.shardId, sequenceNumber: raw.sequenceNumber };
    if (decoded === undefined) {
      stats.skipped++; // the app's decision, as a guard's refusal: counted, checkpointed past
      return this.o.logger.debug('record skipped by its deserializer', where);
    }
    const chosen = (decoded as { pattern?: unknown } | null)?.pattern;
    const pattern = this.routeOf(chosen);
    if (pattern === undefined) return this.refusePattern(chosen, where, seen);
    event.pattern = pattern;
    const handler = this.o.handler(pattern);
    if (!handler?.isEventHandler) {
      stats.unknownEvents++;
      return this.o.warnings.warn('record with no @EventPattern handler skipped', {
        ...where,
        pattern: forLog(pattern),
      });
    }
    if (!seen.event) stats.events++;
    seen.event = true;
    const context = new KinesisContext({
      stream: stream.name,
      record: raw,
      shardId: raw.shardId,
      sequenceNumber: raw.sequenceNumber,
      subSequenceNumber: raw.subSequenceNumber,
      partitionKey: raw.partitionKey,
      pattern,
      approximateArrivalTimestamp: raw.approximateArrivalTimestamp,
      id: `${raw.shardId}/${raw.sequenceNumber}/${raw.subSequenceNumber}`,
      metadata: {},
    });
    await this.o.attempt(handler, decoded.data, context);
  }

  /**
   * The route of a deserializer's pattern: a string as it is, an object as Nest routes it (so an
   * @EventPattern({ table: 'orders' }) handler gets `{ pattern: { table: 'orders' } }`); undefined for anything
   * else, or a route past MAX_STREAM_PATTERN_LENGTH (values in it may come from the record).
   */
  private routeOf(pattern: unknown): string | undefined {
    const isObject = typeof pattern === 'object' && pattern !== null && !Array.isArray(pattern);
    const route = isObject ? this.o.route(pattern) : pattern;
    return isPattern(route) ? route : undefined;
  }

  /**
   * A pattern that is no bounded string or object (a deserializer passing on what a record chose): the record
   * is invalid. Dead-lettered when there is a dead-letter stream (its bytes kept), else counted and checkpointed
   * past, as an act-stream record that is no envelope: retrying cannot change it, and must not stall the shard.
   */
  private refusePattern(pattern: unknown, where: Record<string, unknown>, seen: { invalid: boolean }): void {
    if (!seen.invalid) this.o.stats.invalid++;
    seen.invalid = true;
    this.o.warnings.warn('record refused: its deserializer gave no valid pattern', {
      ...where,
      pattern: typeof pattern === 'string' ? forLog(pattern) : typeof pattern,
    });
    if (this.o.deadLetters) throw new KinesisDeadLetterError('the deserializer gave no valid pattern');
  }
}
