import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { parseExplicitHashKey, partitionKeyToHashKey } from '../aggregation/index.js';
import type { Logger } from '../logger.js';
import { AggregateBuffer } from './aggregate-buffer.js';
import { plainEntry, type Entry, type PendingPut } from './entry.js';
import { callErrorCode } from './retry-policy.js';
import { ShardMap } from './shard-map.js';

/** After a failed shard map load, records go unaggregated for this long before the next try. */
const MAP_RETRY_MS = 1_000;

export interface AggregationRouterOptions {
  client: KinesisClient;
  streamName: string;
  maxBytes: number;
  preserveOrder: boolean;
  logger: Logger;
}

/**
 * Aggregation's front half: predicts each user record's shard from the shard map and packs the record into
 * that shard's open aggregate. Until the first map is loaded records wait, in put order; if it cannot be
 * loaded they go unaggregated for a while, and Kinesis places them (or reports what is wrong).
 */
export class AggregationRouter {
  private readonly shardMap: ShardMap;
  private readonly buffer: AggregateBuffer;
  private awaitingMap: PendingPut[] = [];
  private mapLoading = false;
  private mapFailedAt = -Infinity;

  /** `onRouted` receives the entries sealed when records that waited for the map are routed. */
  constructor(
    private readonly options: AggregationRouterOptions,
    private readonly onRouted: (entries: Entry[]) => void,
  ) {
    this.shardMap = new ShardMap(options.client, options.streamName, options.logger);
    this.buffer = new AggregateBuffer(options.maxBytes, options.preserveOrder);
  }

  /** User records in open aggregates (not yet entries). */
  get buffered(): number {
    return this.buffer.size;
  }

  /** Routes one user record; returns the entries ready to be sent because of it (often none). */
  route(put: PendingPut): Entry[] {
    // Behind a load in progress, so records keep their put order.
    if (this.mapLoading) {
      this.awaitingMap.push(put);
      return [];
    }
    if (!this.shardMap.loaded) {
      if (Date.now() - this.mapFailedAt < MAP_RETRY_MS) return [this.unpredicted(put)];
      this.awaitingMap.push(put);
      this.loadMap();
      return [];
    }
    const { partitionKey, explicitHashKey } = put.record;
    const hashKey =
      explicitHashKey === undefined
        ? partitionKeyToHashKey(partitionKey)
        : parseExplicitHashKey(explicitHashKey)!;
    const shard = this.shardMap.shardFor(hashKey);
    return shard ? this.buffer.add(put, shard, hashKey) : [this.unpredicted(put)];
  }

  /** Seals every open aggregate. */
  sealAll(): Entry[] {
    return this.buffer.sealAll();
  }

  /** A record landed elsewhere than predicted: the stream was resharded. */
  reloadShardMap(): void {
    const { streamName, logger } = this.options;
    logger.info('a record landed on another shard than predicted: reloading the shard map', { streamName });
    this.shardMap
      .refresh()
      .catch((error: unknown) =>
        logger.warn('could not reload the shard map', { streamName, error: callErrorCode(error) }),
      );
  }

  /** No shard to predict: a plain record. */
  private unpredicted(put: PendingPut): Entry {
    return plainEntry(put, this.options.preserveOrder ? put.record.partitionKey : undefined);
  }

  private loadMap(): void {
    this.mapLoading = true;
    const settled = () => {
      this.mapLoading = false;
      const waiting = this.awaitingMap;
      this.awaitingMap = [];
      this.onRouted(waiting.flatMap((put) => this.route(put)));
    };
    this.shardMap.refresh().then(settled, (error: unknown) => {
      this.mapFailedAt = Date.now();
      this.options.logger.warn('could not list the shards; sending records unaggregated for now', {
        streamName: this.options.streamName,
        error: callErrorCode(error),
      });
      settled();
    });
  }
}
