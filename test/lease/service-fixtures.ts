/** Lease options for the services (transport servers, connectors, Seneca listeners) sharing one lease table. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ensureStream,
  leaseTableName,
  measureSettle,
  partitionKeyToHashKey,
  type LeaseOptions,
  type SettleResult,
} from '../../libs/kinesis/src/index.js';
import { uniqueName } from '../support/harness.js';
import { FAILOVER_MS, TAKE_INTERVAL_MS } from './fixtures.js';

/** One instance's leases: same app (hence table) for all, its own worker id, failover 3 s, scans every 0.5 s. */
export function serviceLeases(dynamoClient: DynamoDBClient, appName: string, workerId: string): LeaseOptions {
  return { dynamoClient, appName, workerId, failoverTimeMs: FAILOVER_MS, takeIntervalMs: TAKE_INTERVAL_MS };
}

/** A service's streams of its own, `<prefix>-act-…` (4 shards) and `<prefix>-res-…` (1), and its app `<appPrefix>-…`. */
export async function serviceStreams(
  kinesis: KinesisClient,
  prefix: string,
  appPrefix: string,
): Promise<{ actStream: string; resStream: string; appName: string }> {
  const actStream = uniqueName(`${prefix}-act`);
  const resStream = uniqueName(`${prefix}-res`);
  await ensureStream(kinesis, actStream, { shardCount: 4 });
  await ensureStream(kinesis, resStream, { shardCount: 1 });
  return { actStream, resStream, appName: uniqueName(appPrefix) };
}

/** Waits until exactly `workerIds` hold the stream's leases, evenly. */
export function settled(
  dynamoClient: DynamoDBClient,
  appName: string,
  streamName: string,
  workerIds: string[],
): Promise<SettleResult> {
  return measureSettle({
    dynamoClient,
    tableName: leaseTableName(appName, streamName),
    workers: workerIds,
    timeoutMs: 20_000,
  });
}

/** Lease counts per worker, e.g. `{ a: 2, b: 2 }`. */
export function leaseCounts(result: SettleResult): Record<string, number> {
  return Object.fromEntries(Object.entries(result.assignment.owners).map(([id, keys]) => [id, keys.length]));
}

/** The shard a partition key lands on (no explicit hash key). */
export async function shardOfKey(
  kinesis: KinesisClient,
  streamName: string,
): Promise<(partitionKey: string) => string> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const open = Shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
  return (partitionKey) => {
    const hash = partitionKeyToHashKey(partitionKey);
    const shard = open.find(
      (s) =>
        BigInt(s.HashKeyRange!.StartingHashKey!) <= hash && hash <= BigInt(s.HashKeyRange!.EndingHashKey!),
    );
    if (!shard) throw new Error(`no open shard of ${streamName} covers ${partitionKey}`);
    return shard.ShardId!;
  };
}
