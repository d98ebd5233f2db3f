import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { ShardInfo } from '../types.js';

export type { ShardInfo } from '../types.js';

/** Whether the shard's hash key range holds `key` (a shard with no range listed holds none). */
export function coversHashKey(
  shard: Pick<ShardInfo, 'startingHashKey' | 'endingHashKey'>,
  key: bigint,
): boolean {
  const { startingHashKey: start, endingHashKey: end } = shard;
  return start !== undefined && end !== undefined && BigInt(start) <= key && key <= BigInt(end);
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
