import type { ReadPacket, WritePacket } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants.js';
import { otelReady } from '../../../kinesis/src/telemetry/index.js';
import { ABANDONED, DEAD_LETTERED, type EventOutcome } from '../shared/event-retries.js';
import { KinesisContext } from '../shared/kinesis.context.js';
import type { ActRecord, ServerProtocol, ServerProtocolContext } from '../shared/protocol.js';
import type { ReplyTo, RequestEnvelope } from './envelope.js';
import { NativeReplies, replyOf } from './native-replies.js';
import { ProcessTrace } from '../shared/message-telemetry.js';
import { RequestGate } from './request-gate.js';
import type { EnvelopeSigner } from './signing.js';

/**
 * The server side of the native protocol: v1 envelopes (envelope.ts) through the request gate to Nest's
 * @MessagePattern / @EventPattern handlers; replies to the caller's reply shard (native-replies.ts).
 */
export class NativeServerProtocol implements ServerProtocol {
  private readonly answers: NativeReplies;
  private readonly gate: RequestGate;

  constructor(
    private readonly ctx: ServerProtocolContext,
    signer: EnvelopeSigner | undefined,
  ) {
    this.answers = new NativeReplies(ctx.logger, signer);
    this.gate = new RequestGate(ctx, this.answers);
  }

  /** Every record no other protocol took (the last one asked). */
  accepts(): boolean {
    return true;
  }

  async handle(input: ActRecord): Promise<EventOutcome> {
    if (this.ctx.options.telemetry) await otelReady(); // settled long before: one microtask
    const envelope = await this.gate.admit(input);
    if (envelope) return this.dispatch(envelope, input);
  }

  private async dispatch(envelope: RequestEnvelope, input: ActRecord): Promise<EventOutcome> {
    const { record, shardId, shard } = input;
    const { ctx } = this;
    const packet = await ctx.deserialize(envelope, { shardId });
    const pattern =
      typeof packet.pattern === 'string' ? packet.pattern : ctx.normalizePattern(packet.pattern);
    const context = new KinesisContext({
      stream: ctx.options.actStream,
      record,
      shardId,
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
      partitionKey: record.partitionKey,
      pattern,
      approximateArrivalTimestamp: record.approximateArrivalTimestamp,
      id: envelope.id,
      metadata: envelope.metadata ?? {},
    });
    const { id, metadata } = envelope;
    const trace = ProcessTrace.start(ctx.options.telemetry, {
      destination: ctx.options.actStream,
      ...{ id, shardId, pattern, metadata },
    });
    try {
      if (!envelope.replyTo) {
        ctx.stats.events++;
        const input = { record, shardId, shard, id };
        const outcome = await trace.span.run(() =>
          ctx.runEventWithRetries(pattern, packet as ReadPacket, context, input),
        );
        trace.handled(outcome === undefined ? undefined : outcome.replace('-', '_'));
        // Given up on (the shard stopped), or dead-lettered: a later delivery (after a restart, a redrive) runs.
        if (outcome === ABANDONED || outcome === DEAD_LETTERED) ctx.dedupe.forget(id);
        return outcome;
      }
      await this.request(envelope.replyTo, id, pattern, packet.data, context, trace, input);
    } finally {
      trace.end();
    }
  }

  private async request(
    replyTo: ReplyTo,
    id: string,
    pattern: string,
    data: unknown,
    context: KinesisContext,
    trace: ProcessTrace,
    { handlerDone, shard, replies }: ActRecord,
  ): Promise<void> {
    const { ctx } = this;
    ctx.stats.handled++;
    const respond = async (out: WritePacket) => {
      // Past its shard's final checkpoint: the record is read again after a restart, and answered then.
      if (shard.closed) return ctx.lateReply(id);
      const { packet: reply, metadata } = replyOf(out); // a KinesisMessage: its data and reply metadata
      const serialized = ctx.serialize({ ...reply, id }) as WritePacket;
      const hop = trace.reply(replyTo.stream, id, metadata); // the reply carries its span's context
      try {
        await this.answers.write(replies, replyTo, id, serialized, hop.metadata);
      } catch (error) {
        hop.span.fail('send_failed');
        throw error;
      } finally {
        hop.span.end();
      }
    };
    const handler = ctx.handler(pattern);
    if (!handler) {
      trace.handled('no_handler');
      return respond({ err: NO_MESSAGE_HANDLER, isDisposed: true });
    }
    // The work is done when the final reply (isDisposed) is stored: that is what the checkpoint waits for.
    await new Promise<void>((resolve) => {
      const tracked = async (out: WritePacket) => {
        if (out.isDisposed) {
          trace.handled(out.err ? 'error' : undefined);
          handlerDone(); // the handler is finished; only its last reply is on its way
        }
        try {
          await respond(out);
        } finally {
          if (out.isDisposed) resolve();
        }
      };
      trace.span.run(() => ctx.runRequest(handler, data, context, tracked));
    });
  }
}
