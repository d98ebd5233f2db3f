/** Raw Kinesis calls for tests: writing fixtures (reading back: stream-reader.ts). */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

export async function putRaw(
  client: KinesisClient,
  streamName: string,
  records: Array<{ data: string | Buffer; key: string }>,
): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const chunk = records.slice(i, i + 500);
    const out = await client.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: chunk.map((r) => ({ Data: Buffer.from(r.data), PartitionKey: r.key })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} fixture records failed`);
  }
}
