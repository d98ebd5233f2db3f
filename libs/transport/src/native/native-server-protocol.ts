import type { ReadPacket, WritePacket } from '@nestjs/microservices';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants.js';
import { ABANDONED, DEAD_LETTERED, type EventOutcome } from '../shared/event-retries.js';
import { KinesisContext } from '../shared/kinesis.context.js';
import type { ActRecord, ServerProtocol, ServerProtocolContext } from '../shared/protocol.js';
import type { RequestEnvelope } from './envelope.js';
import { NativeReplies, replyOf } from './native-replies.js';
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
    const envelope = await this.gate.admit(input);
    if (envelope) return this.dispatch(envelope, input);
  }

  private async dispatch(
    envelope: RequestEnvelope,
    { record, shardId, handlerDone, shard, replies }: ActRecord,
  ): Promise<EventOutcome> {
    const { ctx } = this;
    const packet = await ctx.deserialize(envelope, { shardId });
    const pattern =
      typeof packet.pattern === 'string' ? packet.pattern : ctx.normalizePattern(packet.pattern);
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
      ctx.stats.events++;
      const outcome = await ctx.runEventWithRetries(pattern, packet as ReadPacket, context, {
        record,
        shardId,
        shard,
        id: envelope.id,
      });
      // Given up on (the shard stopped), or dead-lettered: a later delivery (after a restart, a redrive) runs.
      if (outcome === ABANDONED || outcome === DEAD_LETTERED) ctx.dedupe.forget(envelope.id);
      return outcome;
    }
    ctx.stats.handled++;
    const respond = async (out: WritePacket) => {
      // Past its shard's final checkpoint: the record is read again after a restart, and answered then.
      if (shard.closed) return ctx.lateReply(envelope.id);
      const { packet: reply, metadata } = replyOf(out); // a KinesisMessage: its data and reply metadata
      const serialized = ctx.serialize({ ...reply, id: envelope.id }) as WritePacket;
      await this.answers.write(replies, replyTo, envelope.id, serialized, metadata);
    };
    const handler = ctx.handler(pattern);
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
      ctx.runRequest(handler, packet.data, context, tracked);
    });
  }
}
