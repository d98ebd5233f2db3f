import type { Producer } from '../../../kinesis/src/index.js';
import type { DeadLetterEntry, DeadLetterSink } from '../interfaces.js';

/** Dead letters as JSON records on a Kinesis stream (through the core Producer), keyed by their source shard. */
export class KinesisDeadLetterSink implements DeadLetterSink {
  constructor(private readonly producer: Producer) {}

  async write(entries: DeadLetterEntry[]): Promise<void> {
    await Promise.all(
      entries.map((entry) =>
        this.producer.put({
          data: JSON.stringify(entry),
          partitionKey: `${entry.shardId}:${entry.sequenceNumber}`.slice(0, 256),
        }),
      ),
    );
  }

  async shutdown(): Promise<void> {
    await this.producer.close();
  }
}
