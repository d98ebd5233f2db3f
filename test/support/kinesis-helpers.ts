/** Raw Kinesis calls for tests: writing fixtures and reading back what a stream holds. */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';

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

/** Every record of every shard, from TRIM_HORIZON to the current end. */
export async function readAll(
  client: KinesisClient,
  streamName: string,
): Promise<Array<_Record & { shardId: string }>> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const out: Array<_Record & { shardId: string }> = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator) {
      const res = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const r of res.Records ?? []) out.push({ ...r, shardId: shard.ShardId! });
      if (!res.Records?.length) break;
      iterator = res.NextShardIterator;
    }
  }
  return out;
}
