import { errorForLog, forLog } from '../../../kinesis/src/index.js';
import type { ActRecord, ServerProtocolContext } from '../shared/protocol.js';
import type { Replies } from '../shared/reply-writer.js';
import { decodeRequestObject, InvalidEnvelopeError, type RequestEnvelope } from './envelope.js';
import type { NativeReplies } from './native-replies.js';

/**
 * The native protocol's trust boundary: a parsed act-stream record (its signature already checked by the
 * server) is hostile until it passed the decoder's bounds, the dedupe window, the reply-stream allow-list and
 * its deadline. Whatever fails is counted, logged cut and rate-bounded, and answered at most once per id, only
 * to an allowed stream, or not at all.
 */
export class RequestGate {
  constructor(
    private readonly ctx: ServerProtocolContext,
    private readonly answers: NativeReplies,
  ) {}

  async admit({ raw, record, shardId, replies }: ActRecord): Promise<RequestEnvelope | undefined> {
    const { stats, dedupe, warnings, logger } = this.ctx;
    let envelope: RequestEnvelope;
    try {
      envelope = decodeRequestObject(raw);
    } catch (error) {
      await this.reject(record, shardId, replies, error);
      return undefined;
    }
    // Dedupe before anything else: one id is refused, answered or handled at most once per window.
    if (!dedupe.firstSeen(envelope.id)) {
      stats.duplicates++;
      logger.debug('duplicate delivery skipped', { id: envelope.id, shardId });
      return undefined;
    }
    if (envelope.replyTo && !replies.allows(envelope.replyTo.stream)) {
      this.refuseReplyStream(envelope.id, envelope.replyTo.stream, shardId);
      return undefined;
    }
    if (envelope.deadline !== undefined && envelope.deadline < Date.now()) {
      stats.expired++;
      warnings.warn('request past its deadline skipped', {
        id: envelope.id,
        pattern: forLog(envelope.pattern),
      });
      return undefined;
    }
    return envelope;
  }

  private async reject(
    record: ActRecord['record'],
    shardId: string,
    replies: Replies,
    error: unknown,
  ): Promise<void> {
    const { stats, dedupe, logger } = this.ctx;
    const { id, replyTo } =
      error instanceof InvalidEnvelopeError ? error : ({} as Partial<InvalidEnvelopeError>);
    // Each record is counted once: one that could be answered, but not where it asks, is a forbidden reply
    // stream (counted and warned as such); any other is invalid.
    const forbidden = id !== undefined && replyTo !== undefined && !replies.allows(replyTo.stream);
    if (!forbidden) stats.invalid++;
    if (id && !dedupe.firstSeen(id)) {
      if (forbidden) stats.forbiddenReplyStream++;
      // The same invalid envelope again (e.g. repeated in one KPL aggregate): already logged and answered.
      return logger.debug('invalid record on the act stream skipped (id seen)', { id, shardId });
    }
    if (forbidden) return this.refuseReplyStream(id, replyTo.stream, shardId);
    warnInvalid(this.ctx, record, shardId, error);
    if (!id || !replyTo) return;
    await this.answers
      .write(replies, replyTo, id, {
        err: { status: 'error', message: `invalid request: ${(error as Error).message}` },
        isDisposed: true,
      })
      .catch((e) => this.ctx.reportError(e));
  }

  /** A request whose replyTo names a stream this server may not write: not handled, not answered. */
  private refuseReplyStream(id: string, stream: string, shardId: string): void {
    this.ctx.stats.forbiddenReplyStream++;
    this.ctx.warnings.warn('request with a replyTo stream not allowed skipped (resStream, replyStreams)', {
      id,
      shardId,
      stream: forLog(stream, 128),
    });
  }
}

/** The reason (a fixed text) and the record's position, never the payload: it may hold personal data. */
export function warnInvalid(
  ctx: Pick<ServerProtocolContext, 'warnings'>,
  record: ActRecord['record'],
  shardId: string,
  error: unknown,
): void {
  ctx.warnings.warn('invalid record on the act stream skipped', {
    shardId,
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    reason: errorForLog(error),
  });
}
