import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';

/** What the consumer needs to know of a shard to schedule it. */
export interface ShardInfo {
  shardId: string;
  parentShardIds: string[];
  startingHashKey?: string;
  endingHashKey?: string;
  /** Set when the shard is closed (split or merged away): it will end. */
  endingSequenceNumber?: string;
}

export function toShardInfo(shard: Shard): ShardInfo {
  return {
    shardId: shard.ShardId!,
    parentShardIds: [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => !!id),
    startingHashKey: shard.HashKeyRange?.StartingHashKey,
    endingHashKey: shard.HashKeyRange?.EndingHashKey,
    endingSequenceNumber: shard.SequenceNumberRange?.EndingSequenceNumber,
  };
}

/**
 * Every shard of the stream, open and closed (still within retention), following NextToken pages.
 * AWS refuses StreamName together with NextToken, so later pages send the token alone.
 */
export async function listShards(
  client: KinesisClient,
  streamName: string,
  signal?: AbortSignal,
): Promise<ShardInfo[]> {
  const shards: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }),
      { abortSignal: signal },
    );
    for (const shard of page.Shards ?? []) shards.push(toShardInfo(shard));
    nextToken = page.NextToken;
  } while (nextToken);
  return shards;
}
