import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  createKinesisClient,
  errorForLog,
  forLog,
  type KinesisRecord,
  type Logger,
} from '../../kinesis/src/index.js';
import { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import type { KinesisStream } from './kinesis-stream.js';
import type { ResolvedSenecaOptions } from './options.js';
import {
  decodeSenecaReply,
  InvalidSenecaEnvelopeError,
  replyHashKey,
  resPartitionKey,
  type SenecaReplyEnvelope,
} from './wire/index.js';

/** What the instance's listeners counted since the plugin started (every record, whatever was logged). */
export interface SenecaListenerStats {
  /** Act-stream records on a listener's topic refused (not an act, not bounded, an `error` member...). */
  skipped: number;
  /** Acts refused because this instance is already in their `track` (answered message_loop). */
  loops: number;
  /** Replies not stored (encoding failed, or the put failed after the producer's retries): the act ran. */
  replyFailed: number;
  /** Replies of acts that finished after their shard's final checkpoint (or lease loss): not written. */
  lateReplies: number;
}

/**
 * What one `seneca.use(kinesisTransport)` holds: the AWS client, one Stream facade per stream name (shared by
 * the instance's listeners and clients), one reply reader per (res stream, topic), and the requests being
 * handled. `close()` releases all of it in an order that loses nothing it can avoid losing.
 */
export class SenecaKinesisTransport {
  readonly client: KinesisClient;
  private readonly ownsClient: boolean;
  private readonly streams = new Map<string, KinesisStream>();
  private readonly replyReaders = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  readonly stats: SenecaListenerStats = { skipped: 0, loops: 0, replyFailed: 0, lateReplies: 0 };
  /** Warnings caused by records (bad acts, loops), bounded in rate: anyone who can write the stream causes them. */
  readonly warnings: WarnThrottle;

  constructor(
    readonly options: ResolvedSenecaOptions,
    readonly logger: Logger,
  ) {
    this.warnings = new WarnThrottle(logger);
    this.ownsClient = !options.awsClient;
    this.client =
      options.awsClient ??
      createKinesisClient({
        region: options.region,
        endpoint: options.endpoint,
        credentials: options.credentials,
      });
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  stream(name: string): KinesisStream {
    let stream = this.streams.get(name);
    if (!stream) {
      stream = new this.options.Stream(name, {
        client: this.client,
        options: this.options,
        logger: this.logger,
      });
      this.streams.set(name, stream);
    }
    return stream;
  }

  /**
   * Starts (once per res stream and topic) reading the res-stream shard `<topic>_res` maps to, and resolves when
   * its iterator is held: a request sent after that cannot miss its reply. Records with another partition
   * key share the shard but are another topic's: skipped, so each reply is handled exactly once.
   */
  followReplies(
    resStream: string,
    topic: string,
    pollIntervalMs: number,
    onReply: (data: SenecaReplyEnvelope) => void,
  ): Promise<void> {
    const key = `${resStream}\n${topic}`;
    let started = this.replyReaders.get(key);
    if (!started) {
      const partitionKey = resPartitionKey(topic);
      const onRecords = (records: KinesisRecord[]) => {
        for (const record of records) {
          if (record.partitionKey === partitionKey) this.deliverReply(resStream, record, onReply);
        }
      };
      started = this.stream(resStream)
        .readShard(replyHashKey(topic), onRecords, pollIntervalMs)
        .then(() => undefined);
      started.catch(() => this.replyReaders.delete(key)); // the next send tries again
      this.replyReaders.set(key, started);
    }
    return started;
  }

  /**
   * Keeps a request being handled in view, so close() can wait for its reply to be written; returns what
   * settles (never rejects) once it is finished.
   */
  track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) =>
      this.logger.error('request handling failed', { error: errorForLog(error) }),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return tracked;
  }

  /**
   * Stops reading (each shard's processor waits up to the grace period for its running acts, then checkpoints
   * past the finished ones), then flushes and closes. The grace is not applied a second time here: an act
   * finishing later is not checkpointed, so it is re-read after a restart, and must not be answered now.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const streams = [...this.streams.values()];
    await Promise.all(streams.map((s) => s.stopReading()));
    if (this.inFlight.size > 0)
      this.logger.warn('closing with requests still being handled', { count: this.inFlight.size });
    await Promise.all(streams.map((s) => s.close()));
    if (this.ownsClient) this.client.destroy();
  }

  private deliverReply(
    resStream: string,
    record: KinesisRecord,
    onReply: (data: SenecaReplyEnvelope) => void,
  ): void {
    let data: SenecaReplyEnvelope;
    try {
      data = decodeSenecaReply(record.data);
    } catch (error) {
      const reason = error instanceof InvalidSenecaEnvelopeError ? error.reason : errorForLog(error);
      // Whoever can write the res stream chooses how many: rate-bounded, as the listener's act warnings.
      this.warnings.warn('res-stream record skipped', {
        stream: resStream,
        partitionKey: forLog(record.partitionKey),
        sequenceNumber: record.sequenceNumber,
        reason,
      });
      return;
    }
    try {
      onReply(data);
    } catch (error) {
      this.logger.error('reply handling threw', { stream: resStream, error: errorForLog(error) });
    }
  }
}
