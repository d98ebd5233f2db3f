/**
 * Where an application's checkpoints are, read through the core's own stores (their key and table formats are
 * theirs, never re-derived here): the lease table (`LeaseTable`, which also names each shard's owner), a
 * `DynamoDBCheckpointStore`-style table (the same items), or Redis (`RedisCheckpointStore`).
 */
import { leaseTableName, LeaseTable, type Checkpoint } from '../../../kinesis/src/index.js';
import { RedisCheckpointStore } from '../../../kinesis/src/checkpoint/redis-store.js';
import { CliUsageError, type CliContext } from './context.js';

export interface ShardCheckpoint {
  checkpoint?: Checkpoint;
  /** Lease tables only: who holds the shard's lease (absent in a plain checkpoint table). */
  owner?: string;
}

export interface CheckpointSource {
  /** For output: `dynamodb:<table>` or `redis` (a Redis URL may hold a password: never printed). */
  readonly name: string;
  read(shardIds: string[]): Promise<Map<string, ShardCheckpoint>>;
  close(): Promise<void>;
}

export interface CheckpointSourceOptions {
  /** `dynamodb`, `dynamodb:<table>` or `redis:<url>`. Default: the app's lease table. */
  checkpoints?: string;
  /** A lease table by name (the same as `dynamodb:<table>`). */
  leases?: string;
  /** RedisCheckpointStore's keyPrefix. */
  keyPrefix?: string;
}

/** A checkpoint for output: `<sequence>` or, inside an aggregate, `<sequence>/<sub-sequence>`. */
export const formatCheckpoint = (c: Checkpoint): string =>
  c.subSequenceNumber ? `${c.sequenceNumber}/${c.subSequenceNumber}` : c.sequenceNumber;

export function checkpointSource(
  ctx: CliContext,
  app: string,
  stream: string,
  o: CheckpointSourceOptions,
): CheckpointSource {
  if (o.checkpoints && o.leases) throw new CliUsageError('give --checkpoints or --leases, not both');
  const spec = o.leases ? `dynamodb:${o.leases}` : (o.checkpoints ?? 'dynamodb');
  if (spec === 'dynamodb') return tableSource(ctx, leaseTableName(app, stream));
  if (spec.startsWith('dynamodb:') && spec.length > 'dynamodb:'.length)
    return tableSource(ctx, spec.slice('dynamodb:'.length));
  // `redis:<url>`, or the URL alone.
  const url = /^rediss?:\/\//.test(spec)
    ? spec
    : spec.startsWith('redis:')
      ? spec.slice('redis:'.length)
      : '';
  if (/^rediss?:\/\//.test(url)) return redisSource(url, app, stream, o.keyPrefix);
  throw new CliUsageError('--checkpoints takes dynamodb, dynamodb:<table> or redis:<url>');
}

function tableSource(ctx: CliContext, tableName: string): CheckpointSource {
  const table = new LeaseTable({ client: ctx.dynamo, tableName, createTable: false });
  return {
    name: `dynamodb:${tableName}`,
    async read() {
      const leases = await table.list();
      return new Map(
        leases.map((l) => [
          l.leaseKey,
          { checkpoint: l.checkpoint, owner: l.checkpointOwner ?? l.leaseOwner },
        ]),
      );
    },
    close: async () => undefined,
  };
}

function redisSource(url: string, appName: string, stream: string, keyPrefix?: string): CheckpointSource {
  const store = new RedisCheckpointStore({ url, appName, keyPrefix });
  return {
    name: 'redis',
    async read(shardIds) {
      const entries = await Promise.all(
        shardIds.map(async (shardId) => [shardId, { checkpoint: await store.get(stream, shardId) }] as const),
      );
      return new Map(entries);
    },
    close: () => store.close(),
  };
}
