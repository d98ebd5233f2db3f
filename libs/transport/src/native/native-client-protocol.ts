import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ReadPacket, WritePacket } from '@nestjs/microservices';
import {
  errorForLog,
  FanOutHashKeyReader,
  isSafeId,
  PollingHashKeyReader,
  type HashKeyReader,
  type KinesisRecord,
  type Producer,
} from '../../../kinesis/src/index.js';
import {
  messagingAttributes,
  NO_SPAN,
  observePendingCalls,
  otelReady,
  type MessagingSpan,
} from '../../../kinesis/src/telemetry/index.js';
import { jsonDeeperThan } from '../../../kinesis/src/untrusted/json-depth.js';
import { WarnThrottle } from '../../../kinesis/src/untrusted/warn-throttle.js';
import { rethrowMissingStream } from '../shared/errors.js';
import { PendingCalls, type ReplyCallback } from '../shared/pending-calls.js';
import type { ClientProtocol, ClientProtocolContext, ReplyHealth } from '../shared/protocol.js';
import {
  InvalidMessageOptionsError,
  KinesisMessage,
  metadataProblem,
  type KinesisMessageOptions,
} from '../shared/record-builder.js';
import { decodeReply, encodeEnvelope, ENVELOPE_VERSION, type RequestEnvelope } from './envelope.js';
import { OutgoingTrace, withTraceContext } from '../shared/message-telemetry.js';
import { reportRefusal, type EnvelopeSigner } from './signing.js';

/** A random 128-bit hash key, decimal: this client's place in the reply stream's hash key space. */
export function randomReplyHashKey(): string {
  return BigInt(`0x${randomBytes(16).toString('hex')}`).toString();
}

/** Deepest reply accepted (arrays and objects): deeper values can overflow the stack of code that walks them. */
export const MAX_REPLY_DEPTH = 256;

/**
 * The client side of the native protocol: requests go to the act stream carrying `replyTo: { stream, hashKey }`;
 * this instance reads only the one reply shard that covers its hash key.
 */
export class NativeClientProtocol implements ClientProtocol {
  private readonly pending = new PendingCalls();
  /** The trace of each pending call (its reply's span is its child). */
  private readonly traces = new Map<string, OutgoingTrace>();
  private stopObserving: (() => void) | undefined;
  /** Warnings caused by reply records: anyone who can write the res stream chooses how many. */
  private readonly warnings: WarnThrottle;
  private producer: Producer | undefined;
  private reader: HashKeyReader | undefined;
  private hashKey: string | undefined;

  constructor(
    private readonly ctx: ClientProtocolContext,
    private readonly signer: EnvelopeSigner | undefined,
  ) {
    this.warnings = new WarnThrottle(ctx.logger);
  }

  get replyShardId(): string | undefined {
    return this.reader?.currentShardId;
  }

  get replyHashKey(): string | undefined {
    return this.hashKey;
  }

  replyHealth(): ReplyHealth {
    const readers = this.reader ? [{ ...this.reader.health(), stream: this.ctx.options.resStream }] : [];
    return { pendingCalls: this.pending.size, readers };
  }

  async open(client: KinesisClient, producer: Producer): Promise<void> {
    const o = this.ctx.options;
    this.producer = producer;
    if (o.telemetry) {
      await otelReady(); // the first call is traced too
      this.stopObserving ??= observePendingCalls((observe) =>
        observe(this.pending.size, messagingAttributes(o.actStream, 'send')),
      );
    }
    const hashKey = (this.hashKey = randomReplyHashKey());
    const reading = {
      client,
      streamName: o.resStream,
      hashKey: BigInt(hashKey),
      logger: this.ctx.logger,
      onRecords: (records: KinesisRecord[]) => this.onReplies(records),
      // The shard reader counts each throttle in kinesis.client.throttles itself.
      onThrottled: () => this.ctx.onThrottled(),
      onError: (error: unknown) => this.ctx.reportError(error),
    };
    this.reader = o.fanOut
      ? new FanOutHashKeyReader({ ...reading, ...o.fanOut })
      : new PollingHashKeyReader({
          ...reading,
          pollIntervalMs: o.pollIntervalMs,
          idle: () => this.pending.size === 0, // no call awaits a reply: leave the shard's reads to others
        });
    try {
      await this.reader.start(); // before any request goes out: no reply can be missed
    } catch (error) {
      rethrowMissingStream(error, 'reply', o.resStream);
    }
  }

  publish(
    packet: ReadPacket,
    callback: (packet: WritePacket) => void,
    message: KinesisMessageOptions = {},
  ): () => void {
    const { options } = this.ctx;
    const id = randomUUID();
    const pattern = this.ctx.normalizePattern(packet.pattern);
    const timeoutMs = message.timeoutMs ?? options.timeoutMs;
    const trace = OutgoingTrace.start(options.telemetry, options.actStream, id, pattern);
    this.traces.set(id, trace);
    const ended = (packet?: WritePacket) => {
      trace.callEnded(packet);
      this.traces.delete(id);
    };
    const reply = message.replyMetadata ? withReplyMetadata(callback) : callback;
    const answer: ReplyCallback = (packet) => {
      if (packet.isDisposed || packet.err) ended(packet);
      reply(packet);
    };
    const deadline = Date.now() + timeoutMs;
    const teardown = this.pending.start(id, pattern, timeoutMs, answer, async () =>
      this.put(
        () =>
          this.envelope(id, pattern, packet, message, trace.span, {
            replyTo: { stream: options.resStream, hashKey: this.hashKey! },
            deadline,
          }),
        message,
        trace,
      ),
    );
    this.reader?.wake?.();
    return () => {
      ended(); // unsubscribed before the final reply: recorded as cancelled (a no-op after it)
      teardown();
    };
  }

  async emit(packet: ReadPacket, message: KinesisMessageOptions = {}): Promise<void> {
    const pattern = this.ctx.normalizePattern(packet.pattern);
    // An event's timeout is its expiry: the server skips it when it reads it later (as a request past its deadline).
    const expiry = message.timeoutMs === undefined ? {} : { deadline: Date.now() + message.timeoutMs };
    const id = randomUUID();
    const trace = OutgoingTrace.start(this.ctx.options.telemetry, this.ctx.options.actStream, id, pattern);
    await this.put(() => this.envelope(id, pattern, packet, message, trace.span, expiry), message, trace);
  }

  async close(opening: Promise<unknown> | undefined): Promise<void> {
    this.pending.closeAll();
    this.stopObserving?.();
    this.stopObserving = undefined;
    await opening;
    await this.reader?.stop(); // after open() settled: a reader it started is stopped too
    this.reader = this.producer = undefined;
  }

  private envelope(
    id: string,
    pattern: string,
    packet: ReadPacket,
    message: KinesisMessageOptions,
    span: MessagingSpan,
    extra: Partial<RequestEnvelope>,
  ): RequestEnvelope {
    const serialized = this.ctx.serialize({ ...packet, pattern, id });
    const given = { ...packet.metadata, ...message.metadata };
    // Checked once merged (the dispatch hook's and the message's together): the server would refuse the request.
    const problem = metadataProblem(given);
    if (problem) throw new InvalidMessageOptionsError(problem);
    const metadata = withTraceContext(span, given) ?? given;
    return {
      v: ENVELOPE_VERSION,
      id,
      pattern,
      data: serialized.data,
      ...extra,
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    };
  }

  /** Builds the envelope (its serializer or metadata may throw) and puts it; the send span ends either way. */
  private async put(
    build: () => RequestEnvelope,
    message: KinesisMessageOptions,
    trace: OutgoingTrace,
  ): Promise<void> {
    try {
      const envelope = build();
      await this.ctx.connect();
      const json = encodeEnvelope(envelope);
      const data = this.signer ? this.signer.sign('request', this.ctx.options.actStream, json) : json;
      const { partitionKey = this.partitionKey(envelope), explicitHashKey } = message;
      const record = { data, partitionKey, ...(explicitHashKey ? { explicitHashKey } : {}) };
      trace.sent((await this.producer!.put(record)).shardId);
    } catch (error) {
      trace.sent(undefined, error);
      throw error;
    }
  }

  private partitionKey({ id, pattern, data }: RequestEnvelope): string {
    const by = this.ctx.options.partitionBy;
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
    const { stats, options } = this.ctx;
    // Verified before it is parsed: with signing on, a forged record costs one HMAC and reaches nothing else.
    const refusal = this.signer?.check('reply', options.resStream, record.data);
    if (refusal) return reportRefusal(refusal, stats, this.warnings, { stream: options.resStream });
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
      stats.ignored++; // another client's reply sharing the shard, a duplicate, or a late one
      return;
    }
    const span = this.traces.get(id)?.replySpan(options.resStream, id, reply.metadata) ?? NO_SPAN;
    // Nest's packet shape only: its deserializer treats any other key as a foreign payload.
    const {
      v: _version,
      sig: _signature,
      metadata,
      ...nestPacket
    } = reply as typeof reply & { sig?: unknown };
    void Promise.resolve(this.ctx.deserialize(nestPacket))
      .then((packet: WritePacket | undefined) => {
        if (typeof packet !== 'object' || packet === null) return this.skipReply('deserialized to no packet');
        // The reply metadata rides along for a call that asked for it (withReplyMetadata); Nest ignores the key.
        const answer: MetadataPacket = metadata ? { ...packet, metadata } : packet;
        if (this.pending.answer(id, answer)) stats.replies++;
      })
      .catch((error: unknown) => this.skipReply(`the deserializer failed: ${errorForLog(error)}`))
      .finally(() => span.end());
  }

  private skipReply(reason: string): void {
    this.ctx.stats.invalid++;
    this.warnings.warn('invalid record on the reply stream ignored', { reason });
  }
}

/** A reply packet with the handler's reply metadata beside Nest's keys. */
type MetadataPacket = WritePacket & { metadata?: Record<string, string> };

/** A call that asked for reply metadata: each value is a KinesisMessage of the reply's data and metadata. */
function withReplyMetadata(callback: ReplyCallback): ReplyCallback {
  return (packet) => {
    const { metadata, ...rest } = packet as MetadataPacket;
    if (rest.err || rest.response === undefined) return callback(rest);
    callback({ ...rest, response: new KinesisMessage(rest.response, metadata ? { metadata } : {}) });
  };
}
