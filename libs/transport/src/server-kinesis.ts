import { EventEmitter } from 'node:events';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Logger as NestLogger } from '@nestjs/common';
import {
  Server,
  type BaseRpcContext,
  type CustomTransportStrategy,
  type MessageHandler,
  type ReadPacket,
} from '@nestjs/microservices';
import {
  createKinesisClient,
  type Consumer,
  errorForLog,
  forLog,
  type Logger,
} from '../../kinesis/src/index.js';
import { settlesBy } from '../../kinesis/src/consumer/deadline.js';
import { DedupeWindow } from '../../kinesis/src/untrusted/dedupe-window.js';
import { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import { ActIntake } from './act-intake.js';
import { serverHealth, type ServerKinesisHealth } from './health/kinesis-health.js';
import { coreLoggerFrom } from './nest-logger.js';
import { serverProtocols, type SenecaServerInfo, type ServerProtocols } from './protocols.js';
import { runRequestHandler } from './request-runner.js';
import { ServerConsumers } from './server-consumers.js';
import { attemptEvent, EventRetrier } from './shared/event-retries.js';
import {
  createStreamsIfAsked,
  serverSettings,
  type ServerKinesisOptions,
  type ServerKinesisSettings,
} from './shared/options.js';
import type { ServerProtocolContext } from './shared/protocol.js';
import { allowedReplyStreams, checkServerResStream, ReplyWriter } from './shared/reply-writer.js';
import {
  newServerStats,
  type KinesisStatus,
  type ServerKinesisEvents,
  type ServerKinesisStats,
} from './shared/types.js';
import { createConsumedStreams, streamIntakes, type StreamIntake } from './stream-intake.js';

export const KINESIS_TRANSPORT = Symbol('KINESIS_TRANSPORT');
const MAX_CACHED_ROUTES = 1024;
/** Longer patterns are looked up uncached: the cache's keys come from records and must stay small. */
const MAX_CACHED_PATTERN_LENGTH = 512;
/** close(): the bound on the final checkpoints after the grace period, and again on flushing replies. */
const CLOSE_MARGIN_MS = 5_000;

export type { ServerKinesisEvents, ServerKinesisStats, KinesisStatus } from './shared/types.js';

/**
 * Nest's transport server over Kinesis: consumes the act stream (every shard, concurrently) and hands each
 * record to its wire protocol (`protocol`: native v1 envelopes, Seneca acts, or both), which runs the
 * @MessagePattern / @EventPattern handler and writes the replies; and each of `streams`, any producer's
 * records, as events (stream-intake.ts). This class owns the Nest side: handlers, status, the consumers'
 * lifecycle, close() with its grace period, and the stats.
 */
export class ServerKinesis
  extends Server<ServerKinesisEvents, KinesisStatus>
  implements CustomTransportStrategy
{
  override readonly transportId = KINESIS_TRANSPORT;
  readonly stats: ServerKinesisStats = newServerStats();
  /** Seneca interop (protocol `auto` or `seneca`): its instance id and served topics. */
  readonly seneca: SenecaServerInfo | undefined;
  private readonly settings: ServerKinesisSettings;
  private readonly emitter = new EventEmitter();
  private readonly coreLogger: Logger;
  /** Where replies may go: `resStream` and `replyStreams`. */
  private readonly replyStreams: ReadonlySet<string>;
  /** Warnings caused by records (invalid, forbidden, expired, unknown events): bounded in rate. */
  private readonly warnings: WarnThrottle;
  /** Ids seen recently, shared by the protocols (a Seneca act's key is namespaced). */
  private readonly dedupe: DedupeWindow;
  private readonly protocols: ServerProtocols;
  private readonly intake: ActIntake;
  private readonly retrier: EventRetrier;
  /** One per `streams` entry. */
  private readonly streamIntakes: StreamIntake[];
  private awsClient: KinesisClient | undefined;
  private consumers: ServerConsumers | undefined;
  /** This run's reply writer: handed with each record, so a late reply of an old run never uses a new one. */
  private replies: ReplyWriter | undefined;
  private graceDeadline = Infinity;
  /** Route per wire pattern: Nest's lookup JSON-parses every string pattern, throwing for non-JSON ones. */
  private readonly routes = new Map<string, string>();

  constructor(private readonly options: ServerKinesisOptions = {}) {
    super();
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
    const settings = (this.settings = serverSettings(options));
    this.coreLogger = options.logger ?? coreLoggerFrom(new NestLogger(`ServerKinesis:${settings.appName}`));
    this.replyStreams = allowedReplyStreams(settings);
    this.warnings = new WarnThrottle(this.coreLogger);
    this.dedupe = new DedupeWindow(settings.dedupeWindowMs, settings.dedupeMaxEntries);
    this.retrier = new EventRetrier({
      settings,
      stats: this.stats,
      logger: this.coreLogger,
      warnings: this.warnings,
      client: () => this.awsClient,
    });
    this.protocols = serverProtocols(this.protocolContext());
    this.seneca = this.protocols.seneca;
    this.intake = new ActIntake({
      protocols: this.protocols.list,
      signer: this.protocols.signer,
      actStream: settings.actStream,
      stats: this.stats,
      warnings: this.warnings,
    });
    this.streamIntakes = streamIntakes(settings, {
      stats: this.stats,
      logger: this.coreLogger,
      warnings: this.warnings,
      retrier: this.retrier,
      handler: (pattern) => this.getHandlerByPattern(pattern) ?? undefined,
      route: (pattern) => this.normalizePattern(pattern as any),
      attempt: (handler, data, context) => attemptEvent(this, handler, data, context),
      reportError: (error) => this.reportError(error),
    });
  }

  get actStream(): string {
    return this.settings.actStream;
  }

  /** Status and each consumer's read state, for health checks (KinesisHealthIndicator). */
  health(): ServerKinesisHealth {
    return serverHealth(this.status, this.consumersByStream());
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /**
   * Handlers in flight get closeGracePeriodMs; then each shard checkpoints what is complete, and close() returns
   * whatever handlers still do (bounded margins: CLOSE_MARGIN_MS for the final checkpoints, the same for the
   * reply flush, and the consumer's 5 s for releasing leases). A handler finishing after that is not answered.
   */
  async close(): Promise<void> {
    const grace = this.settings.closeGracePeriodMs;
    this.graceDeadline = Date.now() + grace;
    await this.consumers?.stop(grace + CLOSE_MARGIN_MS);
    // Work that finishes from now on was given up on, and its record not checkpointed: its reply is not
    // written (the producers close), but counted and logged, and the record is handled again after a restart.
    const replies = this.replies;
    replies?.refuseWrites((id) => this.lateReply(id));
    if (replies && !(await settlesBy(replies.close(), Date.now() + CLOSE_MARGIN_MS)))
      this.coreLogger.warn('replies not flushed within the close margin');
    if (this.awsClient && !this.options.awsClient) this.awsClient.destroy();
    this.consumers = this.awsClient = undefined; // `replies` stays: late replies reach the refusing writer
    this._status$.next('disconnected');
  }

  on<K extends keyof ServerKinesisEvents>(event: K, callback: ServerKinesisEvents[K]): void {
    this.emitter.on(event, callback);
  }

  unwrap<T>(): T {
    if (!this.awsClient)
      throw new Error(
        'Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.',
      );
    return this.awsClient as T;
  }

  /** Nest registers every handler here; the protocols learn of it too (object patterns become Seneca-reachable). */
  override addHandler(
    pattern: any,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, any> = {},
  ): void {
    super.addHandler(pattern, callback, isEventHandler, extras);
    const route = this.normalizePattern(pattern);
    for (const protocol of this.protocols.list) protocol.register?.(pattern, route, isEventHandler);
  }

  /** Nest's route for a pattern, cached (bounded: patterns come from clients). */
  override getRouteFromPattern(pattern: string): string {
    let route = this.routes.get(pattern);
    if (route === undefined) {
      route = super.getRouteFromPattern(pattern);
      if (pattern.length > MAX_CACHED_PATTERN_LENGTH) return route;
      if (this.routes.size >= MAX_CACHED_ROUTES) this.routes.clear();
      this.routes.set(pattern, route);
    }
    return route;
  }

  /**
   * Nest's handleEvent logs an unknown pattern whole at ERROR, and any writer picks the pattern: here it is
   * counted and logged cut (forLog), at warn, rate-bounded.
   */
  override async handleEvent(pattern: string, packet: ReadPacket, context: BaseRpcContext): Promise<any> {
    if (!this.getHandlerByPattern(pattern)) {
      this.stats.unknownEvents++;
      return this.warnings.warn('event with no handler skipped', { pattern: forLog(pattern) });
    }
    return super.handleEvent(pattern, packet, context);
  }

  private async start(): Promise<void> {
    const o = this.settings;
    for (const intake of this.streamIntakes) intake.checkHandlers();
    const client = (this.awsClient = o.awsClient ?? createKinesisClient(o));
    await createStreamsIfAsked(client, o);
    await checkServerResStream(client, o.resStream);
    await createConsumedStreams(
      client,
      o,
      this.streamIntakes.map((intake) => intake.stream),
    );
    this.replies = new ReplyWriter({
      client,
      logger: this.coreLogger,
      allowed: this.replyStreams,
      lingerMs: o.replyLingerMs,
      aggregation: o.replyAggregation,
    });
    const consumers = (this.consumers = new ServerConsumers({
      client,
      settings: o,
      appName: this.options.appName,
      logger: this.coreLogger,
      warnings: this.warnings,
      handleAct: (record, shardId, handlerDone, shard) =>
        this.intake.handle({ record, shardId, handlerDone, shard, replies: this.replies! }, (e) =>
          this.reportError(e),
        ),
      intakes: this.streamIntakes,
      graceDeadline: () => this.graceDeadline,
      reportError: (error) => this.reportError(error),
      status: (status) => this._status$.next(status),
    }));
    await consumers.start();
    this._status$.next('connected');
  }

  /** Every consumer of this run by the stream it reads: the act stream's, then one per `streams` entry. */
  private consumersByStream(): ReadonlyMap<string, Consumer> {
    return this.consumers?.byStream ?? new Map();
  }

  /** What the protocols get from the server: one object, built once (the run's writer comes with each record). */
  private protocolContext(): ServerProtocolContext {
    return {
      options: this.settings,
      stats: this.stats,
      logger: this.coreLogger,
      warnings: this.warnings,
      dedupe: this.dedupe,
      handler: (pattern) => this.getHandlerByPattern(pattern) ?? undefined,
      normalizePattern: (pattern) => this.normalizePattern(pattern as any),
      runRequest: (handler, data, context, respond) =>
        runRequestHandler(this, handler, data, context, respond, (e) => this.reportError(e)),
      runEvent: (pattern, packet, context) => this.handleEvent(pattern, packet, context),
      runEventWithRetries: (pattern, packet, context, { record, shardId, shard, id }) =>
        this.retrier.run({
          record,
          shardId,
          pattern,
          id,
          stopping: shard.stopping,
          attempt: async () => {
            const handler = this.getHandlerByPattern(pattern);
            if (!handler) return void this.handleEvent(pattern, packet, context); // counted and warned there
            await attemptEvent(this, handler, packet.data, context);
          },
        }),
      serialize: (packet) => this.serializer.serialize(packet),
      deserialize: (value, options) => this.deserializer.deserialize(value, options),
      lateReply: (id) => this.lateReply(id),
      reportError: (error) => this.reportError(error),
    };
  }

  /** A reply close() gave up on: not written, counted, logged; its record is handled again after a restart. */
  private lateReply(id: string): void {
    this.stats.lateReplies++;
    this.coreLogger.warn('reply after close() not written: its record is read again after a restart', {
      id: forLog(id),
    });
  }

  private reportError(error: unknown): void {
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', error);
    else this.logger.error(errorForLog(error));
  }
}
