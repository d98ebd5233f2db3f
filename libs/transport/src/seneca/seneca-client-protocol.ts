import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ReadPacket, WritePacket } from '@nestjs/microservices';
import {
  errorForLog,
  PollingHashKeyReader,
  type KinesisRecord,
  type Producer,
} from '../../../kinesis/src/index.js';
import { ClientClosedError, rethrowMissingStream } from '../shared/errors.js';
import { OutgoingTrace } from '../shared/message-telemetry.js';
import { PendingCalls, type ReplyCallback } from '../shared/pending-calls.js';
import type { ClientProtocol, ClientProtocolContext, ReplyHealth } from '../shared/protocol.js';
import { senecaCallContext } from './seneca-call-context.js';
import {
  actPartitionKey,
  decodeSenecaReply,
  defaultSenecaInstanceId,
  encodeSenecaAct,
  isPlainObject,
  newSenecaMessageId,
  pinHasWildcards,
  replyHashKey,
  SENECA_ANY_TOPIC,
  senecaTopic,
  withoutDirectives,
  type SenecaReplyEnvelope,
} from '../../../seneca/src/wire/index.js';
import { InvalidSenecaPatternError, SenecaActError } from './seneca-errors.js';

interface OutgoingCall {
  id: string;
  topic: string;
  pattern: string;
  data: Buffer;
}

const noop = () => undefined;

/**
 * The client side of the Seneca protocol (ClientKinesis with `protocol: 'seneca'`): object patterns become
 * Seneca legacy acts on `<topic>_act`; replies are read from the res shard covering the hash of `<topic>_res`
 * (every client of a topic shares that shard, so replies are told apart by `origin` = this instance id, then
 * by message id).
 */
export class SenecaClientProtocol implements ClientProtocol {
  readonly instanceId: string;
  private readonly pending = new PendingCalls();
  /** One reader per topic, at LATEST before the first act to that topic goes out. */
  private readonly readers = new Map<string, Promise<PollingHashKeyReader>>();
  /** The same readers, starting or started, for replyHealth(). */
  private readonly byTopic = new Map<string, PollingHashKeyReader>();
  private client: KinesisClient | undefined;
  private producer: Producer | undefined;

  constructor(private readonly d: ClientProtocolContext) {
    this.instanceId = d.options.seneca?.instanceId ?? defaultSenecaInstanceId();
  }

  private get resStream(): string {
    return this.d.options.resStream;
  }

  /** The topic known before any call: explicit, an exact pin's, or seneca_any; undefined for a glob pin. */
  get staticTopic(): string | undefined {
    const { topic, pin } = this.d.options.seneca ?? {};
    if (topic) return topic;
    if (!pin) return SENECA_ANY_TOPIC;
    return pinHasWildcards(pin) ? undefined : senecaTopic(pin);
  }

  /** Starts the reply reader of the static topic (a glob pin's readers start on their first call). */
  async open(client: KinesisClient, producer: Producer): Promise<void> {
    this.client = client;
    this.producer = producer;
    const topic = this.staticTopic;
    if (topic) await this.readerFor(client, topic);
  }

  publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let call: OutgoingCall;
    try {
      call = this.build(packet, true);
    } catch (err) {
      callback({ err, isDisposed: true });
      return noop;
    }
    const { timeoutMs, telemetry, actStream } = this.d.options;
    // Spans, no propagation: a Seneca act has no place for trace context (see message-telemetry.ts).
    const trace = OutgoingTrace.start(telemetry, actStream, call.id, call.pattern);
    const answer: ReplyCallback = (packet) => {
      if (packet.isDisposed || packet.err) trace.callEnded(packet);
      callback(packet);
    };
    const teardown = this.pending.start(call.id, call.pattern, timeoutMs, answer, () =>
      this.put(call, trace),
    );
    return () => {
      trace.callEnded(); // unsubscribed before the reply: recorded as cancelled (a no-op after it)
      teardown();
    };
  }

  /** Fire-and-forget (`sync: false`): the listener runs the action and writes no reply. */
  async emit(packet: ReadPacket): Promise<void> {
    const call = this.build(packet, false);
    const { telemetry, actStream } = this.d.options;
    await this.put(call, OutgoingTrace.start(telemetry, actStream, call.id, call.pattern));
  }

  async close(opening: Promise<unknown> | undefined): Promise<void> {
    this.pending.closeAll();
    await opening; // a reader open() started is stopped too
    this.client = this.producer = undefined; // until open() again: later calls fail with ClientClosedError
    const readers = [...this.readers.values()];
    this.readers.clear();
    this.byTopic.clear();
    await Promise.all(readers.map((reader) => reader.then((r) => r.stop(), noop)));
  }

  /**
   * The act for `send(pattern, data)`: pattern and data flat together (the pattern's values win, so data
   * cannot re-route the act); data that is not an object travels as `{ value: data }`. Inside a handler
   * serving a Seneca act, the call continues that act's track, transaction and custom$.
   */
  private build(packet: ReadPacket, sync: boolean): OutgoingCall {
    const pattern = packet.pattern as unknown;
    if (!isPlainObject(pattern)) {
      throw new InvalidSenecaPatternError(
        'a Seneca act needs an object pattern, e.g. { role: "math", cmd: "sum" }',
      );
    }
    const seneca = this.d.options.seneca ?? {};
    const data: Record<string, unknown> = isPlainObject(packet.data) ? packet.data : { value: packet.data };
    const serving = senecaCallContext.getStore();
    const custom = [seneca.custom, serving?.custom, data.custom$].filter(isPlainObject);
    const act: Record<string, unknown> = {
      ...pattern,
      ...withoutDirectives(data),
      ...pattern,
      ...(custom.length ? { custom$: Object.assign({}, ...custom) } : {}),
    };
    const topic = seneca.topic ?? (seneca.pin ? senecaTopic(seneca.pin, act) : SENECA_ANY_TOPIC);
    const id = newSenecaMessageId(serving?.tx || undefined);
    const pin = seneca.pin;
    const encoded = encodeSenecaAct({
      id,
      origin: this.instanceId,
      track: [...(serving?.track ?? []), this.instanceId],
      act,
      sync,
      pat: pin
        ? Object.keys(pin)
            .sort()
            .map((k) => `${k}:${String(pin[k])}`)
            .join(',')
        : '',
    });
    return { id, topic, pattern: JSON.stringify(pattern), data: encoded };
  }

  private async put(call: OutgoingCall, trace: OutgoingTrace): Promise<void> {
    try {
      if (!this.client) throw new ClientClosedError(call.pattern);
      await this.readerFor(this.client, call.topic); // at LATEST before the act goes out: no reply missed
      if (!this.producer) throw new ClientClosedError(call.pattern);
      const { shardId } = await this.producer.put({
        data: call.data,
        partitionKey: actPartitionKey(call.topic),
      });
      trace.sent(shardId);
    } catch (error) {
      trace.sent(undefined, error);
      throw error;
    }
  }

  private readerFor(client: KinesisClient, topic: string): Promise<PollingHashKeyReader> {
    let started = this.readers.get(topic);
    if (started) return started;
    const reader = new PollingHashKeyReader({
      client,
      streamName: this.resStream,
      hashKey: replyHashKey(topic),
      pollIntervalMs: this.d.options.pollIntervalMs,
      logger: this.d.logger,
      onRecords: (records) => this.onReplies(records),
      onThrottled: () => this.d.onThrottled(),
      onError: (error) => this.d.reportError(error),
    });
    started = reader.start().then(
      () => reader,
      (error) => {
        this.readers.delete(topic); // the next call tries again
        this.byTopic.delete(topic);
        return rethrowMissingStream(error, 'reply', this.resStream);
      },
    );
    this.readers.set(topic, started);
    this.byTopic.set(topic, reader);
    return started;
  }

  replyHealth(): ReplyHealth {
    const readers = [...this.byTopic.values()].map((r) => ({ ...r.health(), stream: this.resStream }));
    return { pendingCalls: this.pending.size, readers };
  }

  /** The shard also holds other clients' replies (Seneca and native): only ours, by origin then id. */
  private onReplies(records: KinesisRecord[]): void {
    for (const record of records) {
      let reply: SenecaReplyEnvelope;
      try {
        reply = decodeSenecaReply(record.data);
      } catch (error) {
        this.d.logger.debug('record on the Seneca reply shard ignored', { reason: errorForLog(error) });
        continue;
      }
      if (reply.origin !== this.instanceId) continue; // another client's (or a forged) reply
      const call = this.pending.take(reply.id);
      if (!call) continue; // a duplicate, a late one, or a fire-and-forget act's
      call.callback(
        reply.error
          ? { err: new SenecaActError(reply.id, reply.error), isDisposed: true }
          : { response: reply.res ?? null, isDisposed: true },
      );
    }
  }
}
