import { EventEmitter } from 'node:events';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Logger as NestLogger } from '@nestjs/common';
import {
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
  type ReadPacket,
  type BaseRpcContext,
  type WritePacket,
} from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants.js';
import {
  Consumer,
  createKinesisClient,
  errorForLog,
  forLog,
  type KinesisRecord,
  type Logger,
} from '../../kinesis/src/index.js';
import { settlesBy } from '../../kinesis/src/consumer/deadline.js';
import { DedupeWindow } from '../../kinesis/src/untrusted/dedupe-window.js';
import { rethrowMissingStream } from './errors.js';
import type { RequestEnvelope } from './envelope.js';
import { KinesisContext } from './kinesis.context.js';
import { coreLoggerFrom } from './nest-logger.js';
import { DEFAULT_ACT_STREAM, createStreamsIfAsked, type ServerKinesisOptions } from './options.js';
import { ReplyWriter } from './reply-writer.js';
import { allowedReplyStreams, RequestGate } from './request-gate.js';
import { runRequestHandler } from './request-runner.js';
import { createSenecaDispatch, type SenecaDispatch } from './seneca/seneca-dispatch.js';
import { ServerShardProcessor, type ShardState } from './server-shard-processor.js';
import {
  newServerStats,
  type ServerKinesisEvents,
  type ServerKinesisStats,
  type KinesisStatus,
} from './server-types.js';
import { EnvelopeSigner, SigningOptionsError } from './signing.js';
import { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';

export const KINESIS_TRANSPORT = Symbol('KINESIS_TRANSPORT');
const MAX_CACHED_ROUTES = 1024;
/** Longer patterns are looked up uncached: the cache's keys come from records and must stay small. */
const MAX_CACHED_PATTERN_LENGTH = 512;
/** close(): the bound on the final checkpoints after the grace period, and again on flushing replies. */
const CLOSE_MARGIN_MS = 5_000;

export type { ServerKinesisEvents, ServerKinesisStats, KinesisStatus } from './server-types.js';

/**
 * Nest's transport server over Kinesis: consumes the act stream (every shard, concurrently), dispatches each
 * envelope to its @MessagePattern / @EventPattern handler and writes replies to the caller's reply shard.
 */
export class ServerKinesis
  extends Server<ServerKinesisEvents, KinesisStatus>
  implements CustomTransportStrategy
{
  override readonly transportId = KINESIS_TRANSPORT;
  readonly stats: ServerKinesisStats = newServerStats();
  /** Seneca interop (protocol `auto` or `seneca`): its instance id and served topics. */
  readonly seneca: SenecaDispatch | undefined;
  private readonly emitter = new EventEmitter();
  private readonly coreLogger: Logger;
  private readonly dedupe: DedupeWindow;
  /** Where replies may go: `resStream` and `replyStreams`. */
  private readonly replyStreams: ReadonlySet<string>;
  /** Signature, bounds, dedupe, reply-stream allow-list and deadline of every act-stream record. */
  private readonly gate: RequestGate;
  /** Warnings caused by records (invalid, forbidden, expired, unknown events): bounded in rate. */
  private readonly warnings: WarnThrottle;
  /** `signing`: verifies each act-stream record before it is parsed, and signs the replies. */
  private readonly signer: EnvelopeSigner | undefined;
  private awsClient: KinesisClient | undefined;
  private consumer: Consumer | undefined;
  private replies: ReplyWriter | undefined;
  private graceDeadline = Infinity;
  /** Route per wire pattern: Nest's lookup JSON-parses every string pattern, throwing for non-JSON ones. */
  private readonly routes = new Map<string, string>();
  private throttled = false;

  constructor(private readonly options: ServerKinesisOptions = {}) {
    super();
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
    this.coreLogger =
      options.logger ?? coreLoggerFrom(new NestLogger(`ServerKinesis:${options.appName ?? 'nest-kinesis'}`));
    this.dedupe = new DedupeWindow(options.dedupeWindowMs, options.dedupeMaxEntries);
    this.replyStreams = allowedReplyStreams(options);
    this.warnings = new WarnThrottle(this.coreLogger);
    if (options.signing && options.protocol === 'seneca')
      throw new SigningOptionsError(
        "signing: Seneca acts carry no signature; use it with protocol 'native' (or 'auto' to serve both)",
      );
    this.signer = EnvelopeSigner.from(options.signing);
    this.gate = new RequestGate({
      stats: this.stats,
      dedupe: this.dedupe,
      warnings: this.warnings,
      logger: this.coreLogger,
      signer: this.signer,
      actStream: this.actStream,
      isSeneca: (raw) => this.seneca?.accepts(raw) ?? false,
      replies: () => this.replies!,
      reportError: (error) => this.reportError(error),
    });
    this.seneca = createSenecaDispatch(
      options,
      this.coreLogger,
      this.dedupe,
      this.stats,
      {
        handler: (route) => this.messageHandlers.get(route),
        runRequest: (handler, data, ctx, respond) =>
          runRequestHandler(this, handler, data, ctx, respond, (e) => this.reportError(e)),
        runEvent: (route, data, ctx) => this.handleEvent(route, { pattern: route, data }, ctx),
        writeReply: (stream, key, data) => this.replies!.writeRecord(stream, key, data),
      },
      this.warnings,
    );
  }

  get actStream(): string {
    return this.options.actStream ?? DEFAULT_ACT_STREAM;
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
    const grace = this.options.closeGracePeriodMs ?? 10_000;
    this.graceDeadline = Date.now() + grace;
    await this.consumer?.stop({ timeoutMs: grace + CLOSE_MARGIN_MS });
    // Work that finishes from now on was given up on, and its record not checkpointed: its reply is not
    // written (the producers close), but counted and logged, and the record is handled again after a restart.
    const replies = this.replies;
    replies?.refuseWrites((id) => this.lateReply(id));
    if (replies && !(await settlesBy(replies.close(), Date.now() + CLOSE_MARGIN_MS)))
      this.coreLogger.warn('replies not flushed within the close margin');
    if (this.awsClient && !this.options.awsClient) this.awsClient.destroy();
    this.consumer = this.awsClient = undefined; // `replies` stays: late replies reach the refusing writer
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

  /** Nest registers every handler here: object patterns also become Seneca-reachable. */
  override addHandler(
    pattern: any,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, any> = {},
  ): void {
    super.addHandler(pattern, callback, isEventHandler, extras);
    this.seneca?.register(pattern, this.normalizePattern(pattern), isEventHandler);
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

  private async start(): Promise<void> {
    const o = this.options;
    const client = (this.awsClient = o.awsClient ?? createKinesisClient(o));
    await createStreamsIfAsked(client, o);
    this.replies = new ReplyWriter(
      client,
      o.replyLingerMs ?? 0,
      this.coreLogger,
      o.replyAggregation ?? false,
      this.replyStreams,
      this.signer,
    );
    const consumer = (this.consumer = new Consumer({
      client,
      streamName: this.actStream,
      checkpointStore: o.checkpointStore,
      startPosition: o.startPosition,
      pollIntervalMs: o.pollIntervalMs,
      fanOut: o.fanOut,
      leases: o.leases,
      callProcessRecordsEvenForEmptyRecordList: true, // empty polls still checkpoint finished work
      logger: this.coreLogger,
      processorFactory: (shardId) =>
        new ServerShardProcessor({
          shardId,
          concurrency: o.concurrency ?? 1,
          handle: (record, id, handlerDone, shard) => this.handleRecord(record, id, handlerDone, shard),
          graceDeadline: () => this.graceDeadline,
          onBatch: () => this.onBatch(),
          onStall: (pending, oldest) =>
            this.warnings.warn('shard stopped reading: records wait behind a handler that has not finished', {
              shardId,
              pending,
              sequenceNumber: oldest,
            }),
        }),
    }));
    consumer.on('error', (error) => this.reportError(error));
    consumer.on('throttled', () => {
      this.throttled = true;
      this._status$.next('throttled');
    });
    try {
      await consumer.start();
    } catch (error) {
      rethrowMissingStream(error, 'act', this.actStream);
    }
    this._status$.next('connected');
  }

  private onBatch(): void {
    if (!this.throttled) return;
    this.throttled = false;
    this._status$.next('connected');
  }

  /** One act-stream record: never rejects, so one bad record cannot stop its shard. */
  private async handleRecord(
    record: KinesisRecord,
    shardId: string,
    handlerDone: () => void,
    shard: ShardState,
  ): Promise<void> {
    try {
      const admitted = await this.gate.admit(record, shardId);
      if (admitted?.kind === 'seneca') await this.seneca!.handle(admitted.raw, record, shardId, handlerDone);
      else if (admitted) await this.dispatch(admitted.envelope, record, shardId, handlerDone, shard);
    } catch (error) {
      this.reportError(error);
    }
  }

  private async dispatch(
    envelope: RequestEnvelope,
    record: KinesisRecord,
    shardId: string,
    handlerDone: () => void,
    shard: ShardState,
  ): Promise<void> {
    // This run's writer: after close() and listen(), a late reply of the old run must not use the new one.
    const replies = this.replies!;
    const packet = (await this.deserializer.deserialize(envelope, { shardId })) as ReadPacket & {
      id?: string;
    };
    const pattern =
      typeof packet.pattern === 'string' ? packet.pattern : this.normalizePattern(packet.pattern);
    const context = new KinesisContext({
      shardId,
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
      partitionKey: record.partitionKey,
      pattern,
      approximateArrivalTimestamp: record.approximateArrivalTimestamp,
      id: envelope.id,
      metadata: envelope.metadata ?? {},
    });
    const replyTo = envelope.replyTo;
    if (!replyTo) {
      this.stats.events++;
      await this.handleEvent(pattern, packet, context);
      return;
    }
    this.stats.handled++;
    const respond = async (out: WritePacket) => {
      // Past its shard's final checkpoint: the record is read again after a restart, and answered then.
      if (shard.closed) return this.lateReply(envelope.id);
      await replies.write(
        replyTo,
        envelope.id,
        this.serializer.serialize({ ...out, id: envelope.id }) as WritePacket,
      );
    };
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) return respond({ err: NO_MESSAGE_HANDLER, isDisposed: true });
    // The work is done when the final reply (isDisposed) is stored: that is what the checkpoint waits for.
    await new Promise<void>((resolve) => {
      const tracked = async (out: WritePacket) => {
        if (out.isDisposed) handlerDone(); // the handler is finished; only its last reply is on its way
        try {
          await respond(out);
        } finally {
          if (out.isDisposed) resolve();
        }
      };
      runRequestHandler(this, handler, packet.data, context, tracked, (e) => this.reportError(e));
    });
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
