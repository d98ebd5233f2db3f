import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { WritePacket } from '@nestjs/microservices';
import { Producer, RecordTooLargeError, type Logger } from '../../kinesis/src/index.js';
import { ForbiddenReplyStreamError } from './errors.js';
import { encodeEnvelope, ENVELOPE_VERSION, type ReplyTo } from './envelope.js';
import type { EnvelopeSigner } from './signing.js';

/**
 * Writes replies to the caller's reply stream with ExplicitHashKey = the caller's hash key, so every reply
 * of one client lands in the one shard it reads. Only streams of the allow-list (the server's `resStream` and
 * `replyStreams`) can be written: a producer for any other stream cannot be created, so producers stay bounded
 * (one per allowed stream, created on first use; two for a stream that gets both aggregated native replies and
 * plain Seneca replies).
 */
export class ReplyWriter {
  private readonly producers = new Map<string, Producer>();
  /** Set by refuseWrites(): replies asked for from then on are handed here instead of written. */
  private refused: ((key: string) => void) | undefined;

  constructor(
    private readonly client: KinesisClient,
    private readonly lingerMs: number,
    private readonly logger: Logger,
    private readonly aggregation: boolean,
    private readonly allowed: ReadonlySet<string>,
    /** The server's `signing`: every native reply is signed. */
    private readonly signer?: EnvelopeSigner,
  ) {}

  /** Whether replies may go to `stream` (the server checks before dispatching a request). */
  allows(stream: string): boolean {
    return this.allowed.has(stream);
  }

  /** Resolves when the reply is stored. A reply over the record limit is replaced by an error reply. */
  async write(replyTo: ReplyTo, id: string, packet: WritePacket): Promise<void> {
    if (this.refused) return this.refused(id);
    const envelope = { ...packet, v: ENVELOPE_VERSION, id };
    try {
      await this.put(replyTo, id, this.encode(replyTo, envelope));
    } catch (error) {
      if (!(error instanceof RecordTooLargeError)) throw error;
      this.logger.warn('reply too large for a Kinesis record; sending an error reply instead', {
        id,
        size: error.size,
      });
      const message = `reply of ${error.size} bytes exceeds the Kinesis record limit of ${error.limit} bytes`;
      await this.put(
        replyTo,
        id,
        this.encode(replyTo, {
          v: ENVELOPE_VERSION,
          id,
          err: { status: 'error', message },
          isDisposed: true,
        }),
      );
    }
  }

  /**
   * A record as it is, placed by its partition key (Seneca replies). Never aggregated, whatever
   * `aggregation` says: a Seneca reader is not required to deaggregate.
   */
  async writeRecord(stream: string, partitionKey: string, data: Buffer): Promise<void> {
    if (this.refused) return this.refused(partitionKey);
    await this.producer(stream, false).put({ data, partitionKey });
  }

  /**
   * From now on nothing is written: each later write resolves at once and is handed to `onRefused` (with the
   * reply's id, or a Seneca reply's partition key). Replies already accepted still go out with close().
   */
  refuseWrites(onRefused: (key: string) => void): void {
    this.refused = onRefused;
  }

  async close(): Promise<void> {
    await Promise.all([...this.producers.values()].map((p) => p.close()));
    this.producers.clear();
  }

  /** Signed (with `signing`) for the stream the reply goes to. */
  private encode(replyTo: ReplyTo, envelope: Parameters<typeof encodeEnvelope>[0]): Buffer {
    const json = encodeEnvelope(envelope);
    return this.signer ? this.signer.sign('reply', replyTo.stream, json) : json;
  }

  private put(replyTo: ReplyTo, id: string, data: Buffer) {
    return this.producer(replyTo.stream, this.aggregation).put({
      data,
      partitionKey: id.slice(0, 256),
      explicitHashKey: replyTo.hashKey,
    });
  }

  private producer(stream: string, aggregation: boolean): Producer {
    if (!this.allowed.has(stream)) throw new ForbiddenReplyStreamError(stream);
    const key = `${aggregation ? 'kpl' : 'plain'}:${stream}`;
    let producer = this.producers.get(key);
    if (!producer) {
      producer = new Producer({
        client: this.client,
        streamName: stream,
        lingerMs: this.lingerMs,
        aggregation,
        logger: this.logger,
        retryTimeoutMs: 10_000,
      });
      this.producers.set(key, producer);
    }
    return producer;
  }
}
