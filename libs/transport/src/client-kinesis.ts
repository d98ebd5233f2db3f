import { EventEmitter } from 'node:events';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Logger as NestLogger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import {
  createKinesisClient,
  Producer,
  producerLimits,
  type Logger,
  type StreamFacts,
} from '../../kinesis/src/index.js';
import { clientHealth, type ClientKinesisHealth } from './health/kinesis-health.js';
import { coreLoggerFrom } from './nest-logger.js';
import { clientProtocol, type SenecaClientInfo } from './protocols.js';
import {
  clientSettings,
  createStreamsIfAsked,
  type ClientKinesisOptions,
  type ClientKinesisSettings,
} from './shared/options.js';
import type { ClientProtocol, ClientProtocolContext } from './shared/protocol.js';
import {
  InvalidMessageOptionsError,
  unwrapMessage,
  type KinesisMessageOptions,
} from './shared/record-builder.js';
import { clientStreamFacts, refuseMessagePlacement } from './shared/stream-checks.js';
import { newClientStats, type ClientKinesisStats, type KinesisStatus } from './shared/types.js';

export type { ClientKinesisStats } from './shared/types.js';
export { MAX_REPLY_DEPTH, randomReplyHashKey } from './native/native-client-protocol.js';

/**
 * Nest's client proxy over Kinesis: sends requests and events to the act stream and reads their replies from
 * the res stream, through its wire protocol (`protocol`: native v1 envelopes, or Seneca acts). This class
 * owns the Nest side: connect/close, status, the AWS client and the request producer.
 */
export class ClientKinesis extends ClientProxy {
  protected readonly logger = new NestLogger(ClientKinesis.name);
  readonly stats: ClientKinesisStats = newClientStats();
  /** Set with `protocol: 'seneca'`: the instance id acts carry. */
  readonly seneca: SenecaClientInfo | undefined;
  private readonly settings: ClientKinesisSettings;
  private readonly coreLogger: Logger;
  private readonly emitter = new EventEmitter();
  private readonly protocol: ClientProtocol;
  private connection: Promise<void> | undefined;
  private awsClient: KinesisClient | undefined;
  private producer: Producer | undefined;
  /** The act stream's facts, read at connect (a message's own placement is refused on an AUTO stream). */
  private actFacts: StreamFacts | undefined;

  constructor(private readonly options: ClientKinesisOptions = {}) {
    super();
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
    this.settings = clientSettings(options);
    this.coreLogger = options.logger ?? coreLoggerFrom(this.logger);
    ({ protocol: this.protocol, seneca: this.seneca } = clientProtocol(this.protocolContext()));
  }

  get actStream(): string {
    return this.settings.actStream;
  }

  get resStream(): string {
    return this.settings.resStream;
  }

  /** Emits 'connected', 'disconnected' and 'throttled' (typed as Nest's ClientProxy default, so `customClass` fits). */
  override get status(): Observable<KinesisStatus> {
    return super.status as Observable<KinesisStatus>;
  }

  /** Status, the reply readers and the calls waiting, for health checks (KinesisHealthIndicator). */
  health(): ClientKinesisHealth {
    return clientHealth(this.status, this.protocol.replyHealth());
  }

  /** The shard this instance reads its replies from (after connect; native protocol). */
  get replyShardId(): string | undefined {
    return this.protocol.replyShardId;
  }

  /** The hash key (decimal, 128-bit) this instance's replies are put with (after connect; native protocol). */
  get replyHashKey(): string | undefined {
    return this.protocol.replyHashKey;
  }

  connect(): Promise<void> {
    this.connection ??= this.open().catch((error) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await this.protocol.close(connection?.catch(() => undefined));
    await this.producer?.close();
    if (this.awsClient && !this.options.awsClient) this.awsClient.destroy();
    this.producer = this.awsClient = undefined;
    this._status$.next('disconnected');
  }

  override on(event: string, callback: (...args: any[]) => void): void {
    this.emitter.on(event, callback);
  }

  unwrap<T>(): T {
    if (!this.awsClient) throw new Error('Not initialized. Please call the "connect" method first.');
    return this.awsClient as T;
  }

  private async open(): Promise<void> {
    const o = this.settings;
    const client = (this.awsClient = o.awsClient ?? createKinesisClient(o));
    await createStreamsIfAsked(client, o);
    const facts = await clientStreamFacts(client, o);
    this.actFacts = facts.act;
    this.producer = new Producer({
      client,
      streamName: o.actStream,
      ...producerLimits(facts.act),
      lingerMs: o.lingerMs,
      aggregation: o.aggregation,
      logger: this.coreLogger,
    });
    await this.protocol.open(client, this.producer); // reads replies before any request goes out
    this._status$.next('connected');
  }

  /** A throw here (a KinesisMessage's bad option) fails the call's Observable: nothing was sent. */
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const message = this.message(packet);
    refuseMessagePlacement(this.actFacts, message.options); // connected: Nest connects before publishing
    return this.protocol.publish(message.packet, callback, message.options);
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    const message = this.message(packet);
    await this.connect();
    refuseMessagePlacement(this.actFacts, message.options);
    await this.protocol.emit(message.packet, message.options);
    return undefined as T;
  }

  /** A packet whose data may be a KinesisMessage: its payload, and its options (checked before anything is sent). */
  private message(packet: ReadPacket): { packet: ReadPacket; options: KinesisMessageOptions } {
    const { data, options } = unwrapMessage(packet.data);
    const names = Object.keys(options);
    if (this.settings.protocol === 'seneca' && names.length > 0)
      throw new InvalidMessageOptionsError(
        `protocol 'seneca' takes no message options (${names.join(', ')}): Seneca topics decide ` +
          'partition keys, and Seneca acts carry no metadata, per-call timeout or reply metadata',
      );
    return { packet: { ...packet, data }, options };
  }

  /** What the protocol gets from the client: one object, built once. */
  private protocolContext(): ClientProtocolContext {
    return {
      options: this.settings,
      stats: this.stats,
      logger: this.coreLogger,
      connect: () => this.connect(),
      normalizePattern: (pattern) => this.normalizePattern(pattern as any),
      serialize: (packet) => this.serializer.serialize(packet) as ReadPacket,
      deserialize: (value) => this.deserializer.deserialize(value),
      onThrottled: () => this._status$.next('throttled'),
      reportError: (error) => this.reportError(error),
    };
  }

  private reportError(error: unknown): void {
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', error);
    else this.logger.error(error instanceof Error ? error.message : String(error));
  }
}
