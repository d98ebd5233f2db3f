import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Logger as NestLogger } from '@nestjs/common';
import type { Observable } from 'rxjs';
import {
  createKinesisClient,
  errorForLog,
  isSafeId,
  Producer,
  type KinesisRecord,
  type Logger,
} from '../../kinesis/src/index.js';
import { decodeReply, encodeEnvelope, ENVELOPE_VERSION, type RequestEnvelope } from './envelope.js';
import { jsonDeeperThan } from '../../kinesis/src/untrusted/json-depth.js';
import { EnvelopeSigner, reportRefusal, SigningOptionsError } from './signing.js';
import { rethrowMissingStream } from './errors.js';
import type { KinesisStatus } from './server-types.js';
import { coreLoggerFrom } from './nest-logger.js';
import {
  DEFAULT_ACT_STREAM,
  DEFAULT_RES_STREAM,
  createStreamsIfAsked,
  type ClientKinesisOptions,
} from './options.js';
import { FanOutReplyReader } from './fan-out-reply-reader.js';
import { PendingCalls } from './pending-calls.js';
import { ReplyShardReader, type ReplyReader } from './reply-shard-reader.js';
import { SenecaClientProtocol } from './seneca/seneca-client-protocol.js';
import { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';

/** A random 128-bit hash key, decimal: this client's place in the reply stream's hash key space. */
export function randomReplyHashKey(): string {
  return BigInt(`0x${randomBytes(16).toString('hex')}`).toString();
}

/** Deepest reply accepted (arrays and objects): deeper values can overflow the stack of code that walks them. */
export const MAX_REPLY_DEPTH = 256;

/** What a client counted on its reply shard since it was created. */
export interface ClientKinesisStats {
  /** Replies handed to a waiting call. */
  replies: number;
  /** Readable replies no call of this client waits on (another client's on the shared shard, duplicates, late). */
  ignored: number;
  /** Records that are not a reply: not JSON, too deep, bad version, unsafe id, refused by the deserializer. */
  invalid: number;
  /** With `signing`: replies without a signature (while `required`), and with one that does not verify. */
  unsigned: number;
  badSignature: number;
}

/**
 * Nest's client proxy over Kinesis. Requests go to the act stream carrying `replyTo: { stream, hashKey }`;
 * this instance reads only the one reply shard that covers its hash key.
 */
export class ClientKinesis extends ClientProxy {
  protected readonly logger = new NestLogger(ClientKinesis.name);
  private readonly coreLogger: Logger;
  private readonly emitter = new EventEmitter();
  private readonly pending = new PendingCalls();
  private readonly signer: EnvelopeSigner | undefined;
  /** Warnings caused by reply records: anyone who can write the res stream chooses how many. */
  private readonly warnings: WarnThrottle;
  readonly stats: ClientKinesisStats = { replies: 0, ignored: 0, invalid: 0, unsigned: 0, badSignature: 0 };
  private connection: Promise<void> | undefined;
  private awsClient: KinesisClient | undefined;
  private producer: Producer | undefined;
  private reader: ReplyReader | undefined;
  private replyHashKey: string | undefined;
  /** Set in seneca mode (`protocol: 'seneca'`): acts, replies and the instance id live there. */
  readonly seneca: SenecaClientProtocol | undefined;

  constructor(private readonly options: ClientKinesisOptions = {}) {
    super();
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
    this.coreLogger = options.logger ?? coreLoggerFrom(this.logger);
    if (options.signing && options.protocol === 'seneca')
      throw new SigningOptionsError(
        'signing: Seneca acts carry no signature; use it with the native protocol',
      );
    this.signer = EnvelopeSigner.from(options.signing);
    this.warnings = new WarnThrottle(this.coreLogger);
    this.seneca =
      options.protocol === 'seneca'
        ? new SenecaClientProtocol({
            options,
            logger: this.coreLogger,
            onThrottled: () => this._status$.next('throttled'),
            onError: (error) => this.reportError(error),
          })
        : undefined;
  }

  get actStream(): string {
    return this.options.actStream ?? DEFAULT_ACT_STREAM;
  }

  get resStream(): string {
    return this.options.resStream ?? DEFAULT_RES_STREAM;
  }

  /** Emits 'connected', 'disconnected' and 'throttled' (typed as Nest's ClientProxy default, so `customClass` fits). */
  override get status(): Observable<KinesisStatus> {
    return super.status as Observable<KinesisStatus>;
  }

  /** The shard this instance reads its replies from (after connect). */
  get replyShardId(): string | undefined {
    return this.reader?.currentShardId;
  }

  connect(): Promise<void> {
    this.connection ??= this.open().catch((error) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  async close(): Promise<void> {
    this.pending.closeAll();
    const connection = this.connection;
    this.connection = undefined;
    await connection?.catch(() => undefined);
    await this.seneca?.close(); // after open() settled: a reader it started is stopped too
    await this.reader?.stop();
    await this.producer?.close();
    if (this.awsClient && !this.options.awsClient) this.awsClient.destroy();
    this.reader = this.producer = this.awsClient = undefined;
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
    const o = this.options;
    const client = (this.awsClient = o.awsClient ?? createKinesisClient(o));
    await createStreamsIfAsked(client, o);
    this.producer = new Producer({
      client,
      streamName: this.actStream,
      lingerMs: o.lingerMs ?? 0,
      aggregation: o.aggregation ?? false,
      logger: this.coreLogger,
    });
    if (this.seneca) {
      await this.seneca.open(client, this.producer); // reads the reply shard of its topic
      return this._status$.next('connected');
    }
    this.replyHashKey = randomReplyHashKey();
    const reading = {
      client,
      streamName: this.resStream,
      hashKey: BigInt(this.replyHashKey),
      logger: this.coreLogger,
      onRecords: (records: KinesisRecord[]) => this.onReplies(records),
      onThrottled: () => this._status$.next('throttled'),
      onError: (error: unknown) => this.reportError(error),
    };
    this.reader = o.fanOut
      ? new FanOutReplyReader({ ...reading, ...o.fanOut })
      : new ReplyShardReader({
          ...reading,
          pollIntervalMs: o.pollIntervalMs ?? 200,
          idle: () => this.pending.size === 0, // no call awaits a reply: leave the shard's reads to others
        });
    try {
      await this.reader.start(); // before any request goes out: no reply can be missed
    } catch (error) {
      rethrowMissingStream(error, 'reply', this.resStream);
    }
    this._status$.next('connected');
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    if (this.seneca) return this.seneca.publish(packet, callback);
    const id = randomUUID();
    const pattern = this.normalizePattern(packet.pattern);
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const teardown = this.pending.start(id, pattern, timeoutMs, callback, () =>
      this.put(
        this.envelope(id, pattern, packet, {
          replyTo: { stream: this.resStream, hashKey: this.replyHashKey! },
          deadline: Date.now() + timeoutMs,
        }),
      ),
    );
    this.reader?.wake?.();
    return teardown;
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    if (this.seneca) {
      await this.connect();
      await this.seneca.emit(packet);
      return undefined as T;
    }
    const pattern = this.normalizePattern(packet.pattern);
    await this.put(this.envelope(randomUUID(), pattern, packet, {}));
    return undefined as T;
  }

  private envelope(
    id: string,
    pattern: string,
    packet: ReadPacket,
    extra: Partial<RequestEnvelope>,
  ): RequestEnvelope {
    const serialized = this.serializer.serialize({ ...packet, pattern, id }) as ReadPacket;
    return {
      v: ENVELOPE_VERSION,
      id,
      pattern,
      data: serialized.data,
      ...extra,
      ...(packet.metadata ? { metadata: packet.metadata } : {}),
    };
  }

  private async put(envelope: RequestEnvelope): Promise<void> {
    await this.connect();
    const json = encodeEnvelope(envelope);
    const data = this.signer ? this.signer.sign('request', this.actStream, json) : json;
    await this.producer!.put({ data, partitionKey: this.partitionKey(envelope) });
  }

  private partitionKey({ id, pattern, data }: RequestEnvelope): string {
    const by = this.options.partitionBy ?? 'spread';
    const key =
      by === 'spread'
        ? id
        : by === 'pattern'
          ? (pattern as string)
          : by({ pattern: pattern as string, data });
    // Partition keys are 1-256 characters: a longer one is replaced by its digest (same key, same shard).
    return key.length >= 1 && key.length <= 256 ? key : createHash('sha256').update(key).digest('hex');
  }

  /** The records of the reply shard: any of them may be hostile, so none can throw out of here or be kept. */
  private onReplies(records: KinesisRecord[]): void {
    for (const record of records) {
      try {
        this.onReply(record);
      } catch (error) {
        this.skipReply(`the deserializer threw: ${errorForLog(error)}`); // a custom deserializer
      }
    }
  }

  private onReply(record: KinesisRecord): void {
    // Verified before it is parsed: with signing on, a forged record costs one HMAC and reaches nothing else.
    const refusal = this.signer?.check('reply', this.resStream, record.data);
    if (refusal) return reportRefusal(refusal, this.stats, this.warnings, { stream: this.resStream });
    if (jsonDeeperThan(record.data, MAX_REPLY_DEPTH))
      return this.skipReply(`nested deeper than ${MAX_REPLY_DEPTH} levels`);
    let reply;
    try {
      reply = decodeReply(record.data);
    } catch (error) {
      return this.skipReply(errorForLog(error));
    }
    const id = reply.id;
    if (!isSafeId(id)) return this.skipReply('reply id is not 1-128 safe characters');
    if (!this.pending.get(id)) {
      this.stats.ignored++; // another client's reply sharing the shard, a duplicate, or a late one
      return;
    }
    // Nest's packet shape only: its deserializer treats any other key as a foreign payload.
    const { v: _version, sig: _signature, ...nestPacket } = reply as typeof reply & { sig?: unknown };
    void Promise.resolve(this.deserializer.deserialize(nestPacket))
      .then((packet: WritePacket | undefined) => {
        if (typeof packet !== 'object' || packet === null) return this.skipReply('deserialized to no packet');
        if (this.pending.answer(id, packet)) this.stats.replies++;
      })
      .catch((error: unknown) => this.skipReply(`the deserializer failed: ${errorForLog(error)}`));
  }

  private skipReply(reason: string): void {
    this.stats.invalid++;
    this.warnings.warn('invalid record on the reply stream ignored', { reason });
  }

  private reportError(error: unknown): void {
    if (this.emitter.listenerCount('error') > 0) this.emitter.emit('error', error);
    else this.logger.error(error instanceof Error ? error.message : String(error));
  }
}
