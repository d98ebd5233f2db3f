import type { S3Client } from '@aws-sdk/client-s3';
import { loadS3 } from '../drivers.js';
import type { DeadLetterEntry, DeadLetterSink } from '../interfaces.js';

/**
 * Dead letters as one JSON-lines object per write under an S3 prefix. The key is deterministic in the first
 * entry's position, so a replayed write overwrites instead of duplicating.
 */
export class S3DeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async write(entries: DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const [first, last] = [entries[0], entries.at(-1)!];
    const key = [
      this.prefix.replace(/\/+$/, ''),
      first.streamName,
      first.shardId,
      `${first.sequenceNumber}.${first.subSequenceNumber}-${last.sequenceNumber}.${last.subSequenceNumber}.jsonl`,
    ].join('/');
    const { PutObjectCommand } = await loadS3('S3DeadLetterSink');
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: entries.map((e) => `${JSON.stringify(e)}\n`).join(''),
        ContentType: 'application/x-ndjson',
      }),
    );
  }
}
