/**
 * The other end of a call played by hand, as a writer without our library would: read the requests a client put
 * on the act stream, write any record to its reply shard or to the act stream. And a logger that keeps its lines.
 */
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { Logger } from '../../libs/kinesis/src/index.js';
import type { ReplyTo } from '../../libs/transport/src/index.js';
import { eventually } from '../support/harness.js';
import { readAll } from '../support/stream-reader.js';

export interface SeenRequest {
  id: string;
  replyTo?: ReplyTo;
  /** The record's bytes as the client wrote them. */
  data: Buffer;
}

/** Reads a client's requests off the act stream, each once. */
export class ActStreamTap {
  private readonly seen = new Set<string>();

  constructor(
    private readonly admin: KinesisClient,
    private readonly actStream: string,
  ) {}

  /** The next request not returned before (waits until one is stored). */
  async next(): Promise<SeenRequest> {
    let found: SeenRequest | undefined;
    await eventually(
      async () => {
        for (const { data } of await readAll(this.admin, this.actStream)) {
          const { id, replyTo } = JSON.parse(data.toString('utf8')) as SeenRequest;
          if (this.seen.has(id)) continue;
          this.seen.add(id);
          found = { id, replyTo, data };
          return true;
        }
        return false;
      },
      { message: 'a request on the act stream' },
    );
    return found!;
  }
}

/** Puts `data` on the caller's reply shard, as the server would. */
export async function putReply(admin: KinesisClient, replyTo: ReplyTo, data: string | Buffer) {
  await admin.send(
    new PutRecordCommand({
      StreamName: replyTo.stream,
      Data: Buffer.from(data),
      PartitionKey: 'reply',
      ExplicitHashKey: replyTo.hashKey,
    }),
  );
}

/** Puts `data` on a stream as it is (a writer that bypasses the client). */
export async function putRaw(
  admin: KinesisClient,
  streamName: string,
  data: string | Buffer,
  partitionKey = 'raw',
) {
  const out = await admin.send(
    new PutRecordCommand({ StreamName: streamName, Data: Buffer.from(data), PartitionKey: partitionKey }),
  );
  return out.SequenceNumber!;
}

/** A core logger that keeps every line as it would be printed (message and context as JSON). */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (message: string, context?: Record<string, unknown>) =>
    void lines.push(`${level} ${message}${context ? ` ${JSON.stringify(context)}` : ''}`);
  return { lines, debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}
