import type { WritePacket } from '@nestjs/microservices';
import { RecordTooLargeError, type Logger } from '../../../kinesis/src/index.js';
import { KinesisMessage, metadataProblem } from '../shared/record-builder.js';
import type { Replies } from '../shared/reply-writer.js';
import { encodeEnvelope, ENVELOPE_VERSION, type ReplyEnvelope, type ReplyTo } from './envelope.js';
import type { EnvelopeSigner } from './signing.js';

/**
 * Native replies: v1 envelopes put with ExplicitHashKey = the caller's hash key, so every reply of one client
 * lands in the one shard it reads; signed for the stream they go to (with `signing`).
 */
export class NativeReplies {
  constructor(
    private readonly logger: Logger,
    /** The server's `signing`: every native reply is signed. */
    private readonly signer: EnvelopeSigner | undefined,
  ) {}

  /**
   * Resolves when the reply is stored. A reply over the record limit is replaced by an error reply. `metadata`:
   * the handler's reply metadata (see replyOf).
   */
  async write(
    replies: Replies,
    replyTo: ReplyTo,
    id: string,
    packet: WritePacket,
    metadata?: Record<string, string>,
  ): Promise<void> {
    try {
      await this.put(replies, replyTo, {
        ...packet,
        v: ENVELOPE_VERSION,
        id,
        ...(metadata ? { metadata } : {}),
      });
    } catch (error) {
      if (!(error instanceof RecordTooLargeError)) throw error;
      this.logger.warn('reply too large for a Kinesis record; sending an error reply instead', {
        id,
        size: error.size,
      });
      const message = `reply of ${error.size} bytes exceeds the Kinesis record limit of ${error.limit} bytes`;
      await this.put(replies, replyTo, {
        v: ENVELOPE_VERSION,
        id,
        err: { status: 'error', message },
        isDisposed: true,
      });
    }
  }

  private put(replies: Replies, replyTo: ReplyTo, envelope: ReplyEnvelope): Promise<void> {
    const json = encodeEnvelope(envelope);
    const data = this.signer ? this.signer.sign('reply', replyTo.stream, json) : json;
    const { id } = envelope;
    return replies.put(
      replyTo.stream,
      { data, partitionKey: id.slice(0, 256), explicitHashKey: replyTo.hashKey },
      { key: id },
    );
  }
}

/**
 * A handler's packet as it goes out: a KinesisMessage response is its data plus reply metadata (other options
 * mean nothing on a reply). Metadata a caller would refuse (over its bounds) fails the call with a clear error
 * instead of leaving it to time out.
 */
export function replyOf(out: WritePacket): { packet: WritePacket; metadata?: Record<string, string> } {
  if (!(out.response instanceof KinesisMessage)) return { packet: out };
  const { data, options } = out.response as KinesisMessage;
  if (options.metadata === undefined) return { packet: { ...out, response: data } };
  const problem = metadataProblem(options.metadata);
  if (problem)
    return {
      packet: { err: { status: 'error', message: `invalid reply metadata: ${problem}` }, isDisposed: true },
    };
  return { packet: { ...out, response: data }, metadata: { ...options.metadata } };
}
