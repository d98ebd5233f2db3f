/**
 * Test helpers for the producer specs (not part of the public API): read back everything a stream holds,
 * shard by shard, with raw GetShardIterator / GetRecords.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

export interface StoredRecord {
  data: Buffer;
  partitionKey: string;
  sequenceNumber: string;
}

export interface StoredShard {
  shardId: string;
  startingHashKey: bigint;
  endingHashKey: bigint;
  records: StoredRecord[];
}

/** Every record of every shard (open or closed), in each shard's order. */
export async function readStream(client: KinesisClient, streamName: string): Promise<StoredShard[]> {
  const shards: StoredShard[] = [];
  let nextToken: string | undefined;
  do {
    const out = await client.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
    );
    for (const shard of out.Shards ?? []) {
      shards.push({
        shardId: shard.ShardId!,
        startingHashKey: BigInt(shard.HashKeyRange!.StartingHashKey!),
        endingHashKey: BigInt(shard.HashKeyRange!.EndingHashKey!),
        records: await readShard(client, streamName, shard.ShardId!),
      });
    }
    nextToken = out.NextToken;
  } while (nextToken);
  return shards;
}

async function readShard(
  client: KinesisClient,
  streamName: string,
  shardId: string,
): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  let { ShardIterator: iterator } = await client.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  // The emulators store synchronously: the first empty page means the shard is drained.
  while (iterator) {
    const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const r of out.Records ?? []) {
      records.push({
        data: Buffer.from(r.Data!),
        partitionKey: r.PartitionKey!,
        sequenceNumber: r.SequenceNumber!,
      });
    }
    if (!out.Records?.length) break;
    iterator = out.NextShardIterator;
  }
  return records;
}

/** Every stored record, all shards together (no cross-shard order). */
export async function readAll(
  client: KinesisClient,
  streamName: string,
): Promise<(StoredRecord & { shardId: string })[]> {
  return (await readStream(client, streamName)).flatMap((s) =>
    s.records.map((r) => ({ ...r, shardId: s.shardId })),
  );
}

/** Rejects if `promise` takes longer than `ms` (a clearer failure than jest's test timeout). */
export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** An injected PutRecords answer: the entries at `failed` indexes fail with their code, the rest go for real. */
export async function partiallyFail(
  input: { Records: unknown[] },
  send: (input?: any) => Promise<any>,
  failed: Map<number, string>,
): Promise<any> {
  const passing = input.Records.filter((_, i) => !failed.has(i));
  const out = passing.length > 0 ? await send({ ...input, Records: passing }) : { Records: [] };
  let next = 0;
  return {
    FailedRecordCount: failed.size,
    Records: input.Records.map((_, i) =>
      failed.has(i) ? { ErrorCode: failed.get(i), ErrorMessage: 'injected' } : out.Records[next++],
    ),
  };
}
