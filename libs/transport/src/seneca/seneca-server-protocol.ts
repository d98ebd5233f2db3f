import type { MessageHandler } from '@nestjs/microservices';
import { forLog, RecordTooLargeError, type KinesisRecord } from '../../../kinesis/src/index.js';
import type { KinesisContext } from '../shared/kinesis.context.js';
import type { SenecaServerOptions } from '../shared/options.js';
import type { ActRecord, ServerProtocol, ServerProtocolContext } from '../shared/protocol.js';
import type { Replies } from '../shared/reply-writer.js';
import { ProcessTrace } from '../shared/message-telemetry.js';
import { senecaCallContext } from './seneca-call-context.js';
import { SenecaContext } from './seneca-context.js';
import {
  decodeSenecaAct,
  defaultSenecaInstanceId,
  encodeSenecaReply,
  InvalidSenecaEnvelopeError,
  isPlainObject,
  keySubsetTopics,
  looksLikeSeneca,
  pinHasWildcards,
  resPartitionKey,
  SENECA_ANY_TOPIC,
  senecaTopic,
  topicOfActKey,
  withoutDirectives,
  type SenecaAct,
  type SenecaErrorInfo,
} from '../../../seneca/src/wire/index.js';
import { senecaError, toSenecaError } from './seneca-errors.js';
import { PatternMatcher, type PatternEntry } from './pattern-matcher.js';

/** What ServerKinesis tells of its Seneca side (`server.seneca`). */
export interface SenecaServerInfo {
  /** `accept` of replies; an act whose track holds it is a loop. */
  readonly instanceId: string;
  /** The topics served. */
  readonly servedTopics: string[];
}

interface HandlerRef {
  route: string;
  isEvent: boolean;
}

type Outcome = { res?: unknown; error?: SenecaErrorInfo };

/**
 * The server side of the Seneca protocol: which records are Seneca acts for this server, which Nest handler
 * serves each (Seneca's most-specific-pattern rule over the app's object patterns), and the reply.
 */
export class SenecaServerProtocol implements ServerProtocol, SenecaServerInfo {
  readonly instanceId: string;
  /** @MessagePattern handlers: what a sync act (caller waiting) may reach. */
  private readonly requests = new PatternMatcher<HandlerRef>();
  /** Also @EventPattern handlers: a fire-and-forget act (sync not true) may reach either kind. */
  private readonly anyHandler = new PatternMatcher<HandlerRef>();
  /** Owned topics: every act on them is answered (act_not_found included). */
  private readonly topics: Set<string>;
  /**
   * Shared topics (only without `seneca.topics`): those of the key subsets of each object pattern, where a
   * client pinned on part of a pattern writes. An act on one is answered only when a handler's pattern
   * matches it and has that topic, so another service's listener on the same stream is not raced with
   * act_not_found.
   */
  private readonly shared = new Set<string>();
  private readonly prefixTopicsOfRoute = new Map<string, ReadonlySet<string>>();
  private readonly seneca: SenecaServerOptions | undefined;

  constructor(private readonly ctx: ServerProtocolContext) {
    this.seneca = ctx.options.seneca;
    this.instanceId = this.seneca?.instanceId ?? defaultSenecaInstanceId();
    this.topics = new Set(this.seneca?.topics ?? [SENECA_ANY_TOPIC]);
    if (!this.seneca?.topics)
      for (const pin of this.seneca?.pins ?? []) if (!pinHasWildcards(pin)) this.topics.add(senecaTopic(pin));
  }

  /**
   * The topics served: `seneca.topics`; or seneca_any, the exact-pin topic of every object pattern, then the
   * topics of their key subsets (shared: see `shared`).
   */
  get servedTopics(): string[] {
    return [...this.topics, ...this.shared];
  }

  /** Called for every handler Nest registers; string patterns are not reachable from Seneca. */
  register(pattern: unknown, route: string, isEvent: boolean): void {
    if (!isPlainObject(pattern)) return;
    const ref = { route, isEvent };
    if (!isEvent) this.requests.add(pattern, route, ref);
    this.anyHandler.add(pattern, route, ref);
    if (this.seneca?.topics) return;
    this.topics.add(senecaTopic(pattern));
    this.shared.delete(senecaTopic(pattern));
    const prefixes = keySubsetTopics(pattern);
    this.prefixTopicsOfRoute.set(route, new Set(prefixes));
    for (const topic of prefixes) if (!this.topics.has(topic)) this.shared.add(topic);
  }

  /** Protocol `seneca`: every record; `auto`: those shaped as Seneca acts (the others are native). */
  accepts(raw: Record<string, unknown>): boolean {
    return this.ctx.options.protocol === 'seneca' || looksLikeSeneca(raw);
  }

  /** One Seneca record. Rejects only when its reply cannot be stored (the server reports that). */
  async handle({ raw, record, shardId, handlerDone, shard, replies }: ActRecord): Promise<void> {
    const { stats, logger } = this.ctx;
    const topic = topicOfActKey(record.partitionKey);
    if (topic === undefined || !(this.topics.has(topic) || this.shared.has(topic))) {
      stats.ignored++; // another listener's topic: not ours to answer, not an error either
      return logger.debug('Seneca act for a topic this server does not serve ignored', { shardId });
    }
    let act: SenecaAct;
    try {
      act = decodeSenecaAct(raw);
    } catch (error) {
      if (!(error instanceof InvalidSenecaEnvelopeError)) throw error;
      stats.invalid++;
      // The reason and the record's position, never the payload: it may hold personal data.
      return this.ctx.warnings.warn('invalid Seneca act on the act stream skipped', {
        shardId,
        sequenceNumber: record.sequenceNumber,
        reason: error.reason,
      });
    }
    const match = (act.sync ? this.requests : this.anyHandler).find(act.act);
    if (!this.topics.has(topic) && !this.servesShared(topic, match)) {
      stats.ignored++; // a shared topic's act no handler here serves: left to the listener that does
      return logger.debug('Seneca act on a shared topic left to its listener', { id: act.id, shardId });
    }
    if (!this.ctx.dedupe.firstSeen(`seneca:${act.id}`)) {
      stats.duplicates++;
      return logger.debug('duplicate Seneca act skipped', { id: act.id, shardId });
    }
    const listenRecv = Date.now();
    const reply = async (outcome: Outcome) => {
      if (!act.sync) return;
      // Past its shard's final checkpoint: the act is read again after a restart, and answered then.
      if (shard.closed) return this.ctx.lateReply(act.id);
      await this.writeReply(replies, act, topic, outcome, listenRecv);
    };
    if (act.track.includes(this.instanceId)) {
      stats.loops++;
      this.ctx.warnings.warn('Seneca act looping back to this server rejected', { id: act.id, shardId });
      return reply({ error: senecaError('message_loop') });
    }
    if (act.sync) stats.handled++;
    else stats.events++;
    const ref = match?.value;
    const handler = ref && this.ctx.handler(ref.route);
    if (!ref || !handler) {
      this.ctx.warnings.warn('no handler matches the Seneca act', { id: act.id, sync: act.sync });
      return reply({ error: senecaError('act_not_found') });
    }
    const context = this.contextFor(act, topic, ref.route, record, shardId);
    const data = withoutDirectives(act.act);
    const call = { track: act.track, tx: act.tx, custom: act.custom };
    // A span of its own (a Seneca act carries no trace context to be the child of).
    const { telemetry, actStream } = this.ctx.options;
    const trace = ProcessTrace.start(telemetry, {
      destination: actStream,
      id: act.id,
      shardId,
      pattern: ref.route,
    });
    try {
      await trace.span.run(() =>
        senecaCallContext.run(call, () =>
          ref.isEvent
            ? this.ctx.runEvent(ref.route, { pattern: ref.route, data }, context)
            : this.runRequest(handler, data, context, handlerDone, async (outcome) => {
                trace.handled(outcome.error ? 'error' : undefined);
                if (outcome.error && !act.sync)
                  this.ctx.warnings.warn('fire-and-forget Seneca act failed', {
                    id: act.id,
                    code: forLog(outcome.error.code),
                  });
                await reply(outcome);
              }),
        ),
      );
      trace.handled();
    } finally {
      trace.end();
    }
  }

  private servesShared(topic: string, match: PatternEntry<HandlerRef> | undefined): boolean {
    return match !== undefined && this.prefixTopicsOfRoute.get(match.route)?.has(topic) === true;
  }

  /** Resolves once the handler finished and its reply (the last value of an Observable) is stored. */
  private runRequest(
    handler: MessageHandler,
    data: unknown,
    context: KinesisContext,
    handlerDone: () => void,
    finish: (outcome: Outcome) => Promise<void>,
  ): Promise<void> {
    return new Promise<void>((resolve) => {
      const outcome: Outcome = {};
      let finished = false;
      this.ctx.runRequest(handler, data, context, async (out) => {
        if (finished) return;
        if (out.err !== undefined && out.err !== null) outcome.error = toSenecaError(out.err);
        else if ('response' in out) outcome.res = out.response;
        if (!out.isDisposed) return;
        finished = true;
        handlerDone(); // the slot is free; only the reply is on its way
        try {
          await finish(outcome);
        } finally {
          resolve();
        }
      });
    });
  }

  private async writeReply(
    replies: Replies,
    act: SenecaAct,
    topic: string,
    outcome: Outcome,
    listenRecv: number,
  ): Promise<void> {
    const encode = (o: Outcome) =>
      encodeSenecaReply(act, o, this.instanceId, { listenRecv, listenSent: Date.now() });
    const partitionKey = resPartitionKey(topic);
    // As it is, placed by its partition key, never aggregated: a Seneca reader need not deaggregate.
    const put = (data: Buffer) =>
      replies.put(this.ctx.options.resStream, { data, partitionKey }, { key: partitionKey, plain: true });
    let data: Buffer;
    try {
      data = encode(outcome);
    } catch {
      data = encode({ error: senecaError('act_execute', 'the result cannot be encoded as JSON') });
    }
    try {
      await put(data);
    } catch (error) {
      if (!(error instanceof RecordTooLargeError)) throw error;
      this.ctx.logger.warn('Seneca reply too large for a Kinesis record; replying with an error', {
        id: act.id,
        size: error.size,
      });
      await put(encode({ error: senecaError('reply_too_large') }));
    }
  }

  private contextFor(act: SenecaAct, topic: string, route: string, record: KinesisRecord, shardId: string) {
    const args = {
      stream: this.ctx.options.actStream,
      record,
      shardId,
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
      partitionKey: record.partitionKey,
      pattern: route,
      approximateArrivalTimestamp: record.approximateArrivalTimestamp,
      id: act.id,
      metadata: {},
    };
    return new SenecaContext(args, {
      id: act.id,
      mi: act.mi,
      tx: act.tx,
      origin: act.origin,
      track: act.track,
      custom: act.custom,
      sync: act.sync,
      topic,
      format: act.format,
    });
  }
}
