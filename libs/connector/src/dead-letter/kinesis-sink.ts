import type { Producer } from '../../../kinesis/src/index.js';
import type { DeadLetterEntry, DeadLetterSink } from '../interfaces.js';

/** Room left for the entry's other fields and the partition key within Kinesis's 1 MiB record. */
const MAX_DATA_CHARS = 1_000_000;

/**
 * Dead letters as JSON records on a Kinesis stream (through the core Producer), keyed by their source shard.
 * A record near 1 MiB no longer fits once base64-encoded: its data is cut (`dataTruncated: true`, with the
 * original size) rather than blocking the shard forever; the entry still names its shard and sequence.
 */
export class KinesisDeadLetterSink implements DeadLetterSink {
  constructor(private readonly producer: Producer) {}

  async write(entries: DeadLetterEntry[]): Promise<void> {
    await Promise.all(
      entries.map((entry) =>
        this.producer.put({
          data: JSON.stringify(fitting(entry)),
          partitionKey: `${entry.shardId}:${entry.sequenceNumber}`.slice(0, 256),
        }),
      ),
    );
  }

  async shutdown(): Promise<void> {
    await this.producer.close();
  }
}

function fitting(entry: DeadLetterEntry): DeadLetterEntry & { dataTruncated?: boolean; dataBytes?: number } {
  if (entry.data.length <= MAX_DATA_CHARS) return entry;
  const dataBytes = Buffer.from(entry.data, 'base64').length;
  return {
    ...entry,
    data: entry.data.slice(0, MAX_DATA_CHARS - (MAX_DATA_CHARS % 4)),
    dataTruncated: true,
    dataBytes,
  };
}
