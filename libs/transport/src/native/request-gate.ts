import { errorForLog, forLog, type KinesisRecord, type Logger } from '../../kinesis/src/index.js';
import type { DedupeWindow } from '../../kinesis/src/untrusted/dedupe-window.js';
import {
  decodeRequestObject,
  InvalidEnvelopeError,
  parseEnvelopeJson,
  type RequestEnvelope,
} from './envelope.js';
import { DEFAULT_RES_STREAM, type ServerKinesisOptions } from './options.js';
import type { ReplyWriter } from './reply-writer.js';
import type { ServerKinesisStats } from './server-types.js';
import { reportRefusal, type EnvelopeSigner } from './signing.js';
import type { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';

/** What an act-stream record turned out to be: a native request to dispatch, a Seneca act, or nothing to do. */
export type Admission =
  | { kind: 'native'; envelope: RequestEnvelope }
  | { kind: 'seneca'; raw: Record<string, unknown> }
  | undefined;

export interface RequestGateOptions {
  stats: ServerKinesisStats;
  dedupe: DedupeWindow;
  warnings: WarnThrottle;
  logger: Logger;
  signer: EnvelopeSigner | undefined;
  /** The act stream: a signed request is only valid on the stream it was signed for. */
  actStream: string;
  /** Whether a parsed record is a Seneca act (the Seneca dispatcher judges those itself). */
  isSeneca(raw: Record<string, unknown>): boolean;
  /** The reply writer (created when the server starts). */
  replies(): ReplyWriter;
  reportError(error: unknown): void;
}

/**
 * The server's trust boundary for native envelopes: every act-stream record is hostile until it passed the
 * signature (when `signing`), the decoder's bounds, the dedupe window, the reply-stream allow-list and its
 * deadline. Whatever fails is counted, logged cut and rate-bounded, and answered at most once per id, only to an
 * allowed stream, or not at all.
 */
export class RequestGate {
  constructor(private readonly o: RequestGateOptions) {}

  async admit(record: KinesisRecord, shardId: string): Promise<Admission> {
    const { stats, signer } = this.o;
    // `signing`: judged on the raw bytes before anything parses them; a refused record is never answered.
    const refusal = signer?.check('request', this.o.actStream, record.data);
    if (refusal) {
      const where = {
        shardId,
        sequenceNumber: record.sequenceNumber,
        subSequenceNumber: record.subSequenceNumber,
      };
      reportRefusal(refusal, stats, this.o.warnings, where);
      return undefined;
    }
    let envelope: RequestEnvelope;
    try {
      const raw = parseEnvelopeJson(record.data);
      if (this.o.isSeneca(raw)) return { kind: 'seneca', raw };
      envelope = decodeRequestObject(raw);
    } catch (error) {
      await this.reject(record, shardId, error);
      return undefined;
    }
    // Dedupe before anything else: one id is refused, answered or handled at most once per window.
    if (!this.o.dedupe.firstSeen(envelope.id)) {
      stats.duplicates++;
      this.o.logger.debug('duplicate delivery skipped', { id: envelope.id, shardId });
      return undefined;
    }
    if (envelope.replyTo && !this.o.replies().allows(envelope.replyTo.stream)) {
      this.refuseReplyStream(envelope.id, envelope.replyTo.stream, shardId);
      return undefined;
    }
    if (envelope.deadline !== undefined && envelope.deadline < Date.now()) {
      stats.expired++;
      this.o.warnings.warn('request past its deadline skipped', {
        id: envelope.id,
        pattern: forLog(envelope.pattern),
      });
      return undefined;
    }
    return { kind: 'native', envelope };
  }

  private async reject(record: KinesisRecord, shardId: string, error: unknown): Promise<void> {
    const { id, replyTo } =
      error instanceof InvalidEnvelopeError ? error : ({} as Partial<InvalidEnvelopeError>);
    const replies = this.o.replies();
    // Each record is counted once: one that could be answered, but not where it asks, is a forbidden reply
    // stream (counted and warned as such); any other is invalid.
    const forbidden = id !== undefined && replyTo !== undefined && !replies.allows(replyTo.stream);
    if (!forbidden) this.o.stats.invalid++;
    if (id && !this.o.dedupe.firstSeen(id)) {
      if (forbidden) this.o.stats.forbiddenReplyStream++;
      // The same invalid envelope again (e.g. repeated in one KPL aggregate): already logged and answered.
      return this.o.logger.debug('invalid record on the act stream skipped (id seen)', { id, shardId });
    }
    if (forbidden) return this.refuseReplyStream(id, replyTo.stream, shardId);
    // The reason (a fixed text) and the record's position, never the payload: it may hold personal data.
    this.o.warnings.warn('invalid record on the act stream skipped', {
      shardId,
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
      reason: errorForLog(error),
    });
    if (!id || !replyTo) return;
    await replies
      .write(replyTo, id, {
        err: { status: 'error', message: `invalid request: ${(error as Error).message}` },
        isDisposed: true,
      })
      .catch((e) => this.o.reportError(e));
  }

  /** A request whose replyTo names a stream this server may not write: not handled, not answered. */
  private refuseReplyStream(id: string, stream: string, shardId: string): void {
    this.o.stats.forbiddenReplyStream++;
    this.o.warnings.warn('request with a replyTo stream not allowed skipped (resStream, replyStreams)', {
      id,
      shardId,
      stream: forLog(stream, 128),
    });
  }
}

/** The server's `resStream` and `replyStreams`: the only streams replies may go to. */
export function allowedReplyStreams(options: ServerKinesisOptions): ReadonlySet<string> {
  const extra = options.replyStreams ?? [];
  if (!Array.isArray(extra) || extra.some((s) => typeof s !== 'string' || !s))
    throw new TypeError('replyStreams must be an array of stream names');
  return new Set([options.resStream ?? DEFAULT_RES_STREAM, ...extra]);
}
