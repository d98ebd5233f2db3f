import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Producer, producerLimits, readStreamFacts, type Logger } from '../../../kinesis/src/index.js';
import { ForbiddenReplyStreamError } from './errors.js';
import { SERVER_DEFAULTS, type ServerKinesisOptions } from './options.js';
import { refuseUnroutableReplies } from './stream-checks.js';

export { checkServerResStream } from './stream-checks.js';

/** A reply record, encoded by its protocol. */
export interface ReplyRecord {
  data: Buffer;
  partitionKey: string;
  /** Places the record in the caller's shard (native replies: the caller's hash key). */
  explicitHashKey?: string;
}

export interface ReplyPut {
  /** Names the reply when it is refused after close() (a native reply's id, a Seneca reply's partition key). */
  key: string;
  /** Never KPL-aggregated, whatever `replyAggregation` says (a Seneca reader need not deaggregate). */
  plain?: boolean;
}

/** What a protocol may do with the reply writer of the run that read its record. */
export interface Replies {
  /** Whether replies may go to `stream` (the server's `resStream` and `replyStreams`). */
  allows(stream: string): boolean;
  /** Resolves when the record is stored (or, after close(), refused); rejects RecordTooLargeError as it is. */
  put(stream: string, record: ReplyRecord, how: ReplyPut): Promise<void>;
}

export interface ReplyWriterOptions {
  client: KinesisClient;
  logger: Logger;
  /** The only streams replies may go to. */
  allowed: ReadonlySet<string>;
  /** Linger of the reply producers, ms. */
  lingerMs: number;
  /** KPL-aggregate replies bound for one shard (unless `plain`). */
  aggregation: boolean;
}

/**
 * The server's reply producers, for every protocol. Only streams of the allow-list (the server's `resStream` and
 * `replyStreams`) can be written: a producer for any other stream cannot be created, so producers stay bounded
 * (one per allowed stream, created on first use; two for a stream that gets both aggregated and plain replies).
 */
export class ReplyWriter implements Replies {
  /** Created once the stream's facts are read (its record limits; an AUTO stream is refused). */
  private readonly producers = new Map<string, Promise<Producer>>();
  /** Set by refuseWrites(): replies asked for from then on are handed here instead of written. */
  private refused: ((key: string) => void) | undefined;

  constructor(private readonly o: ReplyWriterOptions) {}

  allows(stream: string): boolean {
    return this.o.allowed.has(stream);
  }

  async put(stream: string, record: ReplyRecord, how: ReplyPut): Promise<void> {
    if (this.refused) return this.refused(how.key);
    const producer = await this.producer(stream, how.plain ? false : this.o.aggregation);
    await producer.put(record);
  }

  /**
   * From now on nothing is written: each later put resolves at once and is handed to `onRefused` (with its
   * key). Replies already accepted still go out with close().
   */
  refuseWrites(onRefused: (key: string) => void): void {
    this.refused = onRefused;
  }

  async close(): Promise<void> {
    const producers = await Promise.allSettled(this.producers.values());
    await Promise.all(producers.map((p) => (p.status === 'fulfilled' ? p.value.close() : undefined)));
    this.producers.clear();
  }

  private producer(stream: string, aggregation: boolean): Promise<Producer> {
    if (!this.o.allowed.has(stream)) throw new ForbiddenReplyStreamError(stream);
    const key = `${aggregation ? 'kpl' : 'plain'}:${stream}`;
    let producer = this.producers.get(key);
    if (!producer) {
      producer = readStreamFacts(this.o.client, stream).then(
        (facts) =>
          new Producer({
            client: this.o.client,
            streamName: stream,
            ...producerLimits(refuseUnroutableReplies(facts)),
            lingerMs: this.o.lingerMs,
            aggregation,
            logger: this.o.logger,
            retryTimeoutMs: 10_000,
          }),
      );
      // A refused or unreadable stream is tried again at the next reply (the facts' read is not cached either).
      producer.catch(() => this.producers.delete(key));
      this.producers.set(key, producer);
    }
    return producer;
  }
}

/** The server's `resStream` and `replyStreams`: the only streams replies may go to. */
export function allowedReplyStreams(options: ServerKinesisOptions): ReadonlySet<string> {
  const extra = options.replyStreams ?? [];
  if (!Array.isArray(extra) || extra.some((s) => typeof s !== 'string' || !s))
    throw new TypeError('replyStreams must be an array of stream names');
  return new Set([options.resStream ?? SERVER_DEFAULTS.resStream, ...extra]);
}
