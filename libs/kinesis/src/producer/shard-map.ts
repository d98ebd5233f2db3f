import { ListShardsCommand, type KinesisClient, type ListShardsCommandInput } from '@aws-sdk/client-kinesis';
import type { Logger } from '../logger.js';

export interface ShardRange {
  shardId: string;
  startingHashKey: bigint;
  endingHashKey: bigint;
}

/**
 * The stream's open shards and their hash key ranges, to predict where a record lands (aggregation packs
 * only records bound for one shard together). Loaded with ListShards; refreshed when a put lands
 * somewhere else than predicted, which means the stream was resharded since.
 */
export class ShardMap {
  private shards: ShardRange[] = [];
  private loading: Promise<void> | undefined;
  private loadedOnce = false;

  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
    private readonly logger: Logger,
  ) {}

  get loaded(): boolean {
    return this.loadedOnce;
  }

  get size(): number {
    return this.shards.length;
  }

  /** The open shard whose range holds `hashKey`, if the map knows one. */
  shardFor(hashKey: bigint): ShardRange | undefined {
    let low = 0;
    let high = this.shards.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const shard = this.shards[mid];
      if (hashKey < shard.startingHashKey) high = mid - 1;
      else if (hashKey > shard.endingHashKey) low = mid + 1;
      else return shard;
    }
    return undefined;
  }

  /** Reloads the map; concurrent calls share one load. Rejects with ListShards' error. */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    const shards: ShardRange[] = [];
    let nextToken: string | undefined;
    do {
      // With a NextToken, ListShards refuses the stream name.
      const input: ListShardsCommandInput = nextToken
        ? { NextToken: nextToken }
        : { StreamName: this.streamName };
      const out = await this.client.send(new ListShardsCommand(input));
      for (const shard of out.Shards ?? []) {
        // A closed shard (ending sequence number set) takes no more writes.
        if (shard.SequenceNumberRange?.EndingSequenceNumber || !shard.ShardId || !shard.HashKeyRange)
          continue;
        shards.push({
          shardId: shard.ShardId,
          startingHashKey: BigInt(shard.HashKeyRange.StartingHashKey!),
          endingHashKey: BigInt(shard.HashKeyRange.EndingHashKey!),
        });
      }
      nextToken = out.NextToken;
    } while (nextToken);
    shards.sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1));
    this.shards = shards;
    this.loadedOnce = true;
    this.logger.debug('shard map loaded', { streamName: this.streamName, openShards: shards.length });
  }
}
