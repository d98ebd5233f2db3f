import { once } from 'node:events';
import type { Redis, RedisOptions } from 'ioredis';
import { loadPeer } from '../peer.js';
import { SHARD_END, type Checkpoint, type CheckpointStore } from '../types.js';
import { assertValidCheckpoint } from '../checkpoint-rules.js';

export interface RedisCheckpointStoreOptions {
  /** A client to use; it stays open on close(). Its own options decide how fast a dead server fails. */
  redis?: Redis;
  /** Used when `redis` is not given: the store opens (and on close() closes) its own connection. */
  url?: string;
  /** The application's name: first part of every key (scopes the checkpoints, as the lease table's name). */
  appName: string;
  /** Prepended as is to every key (e.g. `tenant-a:`). Default: none. */
  keyPrefix?: string;
}

/**
 * Options for the store's own connection, so that a dead or unreachable server fails a command within
 * seconds instead of queueing it forever: a queued command fails at the next failed connection attempt
 * (reconnections at most 1 s apart), and any command gives up after 2 s.
 */
export const FAIL_FAST_REDIS_OPTIONS: RedisOptions = {
  lazyConnect: true,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  maxRetriesPerRequest: 0,
  retryStrategy: (times) => Math.min(times * 100, 1_000),
  // After close(), a socket that never finished closing is destroyed soon instead of holding the process.
  disconnectTimeout: 200,
};

/**
 * Checkpoints in Redis, one string key per shard: `<appName>:checkpoint:<stream>:<shard>` (the seed project's
 * layout). The value is the sequence number, followed by `:<subSequenceNumber>` when that is not 0, so
 * plain values written by the seed read as sub-sequence 0. SHARD_END is stored as `SHARD_END`.
 */
export class RedisCheckpointStore implements CheckpointStore {
  /** The caller's client, or the store's own once opened (ioredis, an optional peer, is loaded then). */
  private redis: Redis | undefined;
  private opening: Promise<Redis> | undefined;
  private readonly url: string | undefined;
  private readonly ownsClient: boolean;
  private readonly appName: string;
  private readonly keyPrefix: string;
  private closed = false;

  constructor({ redis, url, appName, keyPrefix = '' }: RedisCheckpointStoreOptions) {
    if (!appName) throw new TypeError('RedisCheckpointStore: `appName` is required');
    if (redis) {
      this.redis = redis;
      this.ownsClient = false;
    } else {
      if (!url) throw new TypeError('RedisCheckpointStore: give `redis` (a client) or `url`');
      this.url = url;
      this.ownsClient = true;
    }
    this.appName = appName;
    this.keyPrefix = keyPrefix;
  }

  /** The key of a shard's checkpoint. */
  key(streamName: string, shardId: string): string {
    return `${this.keyPrefix}${this.appName}:checkpoint:${streamName}:${shardId}`;
  }

  async get(streamName: string, shardId: string): Promise<Checkpoint | undefined> {
    this.assertOpen();
    const value = await (await this.client()).get(this.key(streamName, shardId));
    return value === null ? undefined : parseValue(value);
  }

  async set(streamName: string, shardId: string, checkpoint: Checkpoint): Promise<void> {
    this.assertOpen();
    assertValidCheckpoint(shardId, checkpoint);
    await (await this.client()).set(this.key(streamName, shardId), formatValue(checkpoint));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.ownsClient) return;
    const redis = this.redis ?? (await this.opening?.catch(() => undefined));
    if (!redis) return; // never opened
    const { status } = redis;
    if (status === 'end') return;
    if (status !== 'ready') {
      // Never connected (or reconnecting): QUIT would only wait for a connection.
      redis.disconnect();
      return;
    }
    const ended = once(redis, 'end');
    await redis.quit().catch(() => redis.disconnect());
    await ended; // quit() resolves on the server's OK, before the socket is gone
  }

  /** The client; the store's own is opened at the first command. */
  private client(): Redis | Promise<Redis> {
    if (this.redis) return this.redis;
    this.opening ??= loadPeer<typeof import('ioredis')>('ioredis', 'RedisCheckpointStore').then(
      ({ Redis }) => {
        const redis = new Redis(this.url!, FAIL_FAST_REDIS_OPTIONS);
        // Connection errors reach callers through rejected commands; without a listener ioredis logs
        // every reconnection failure as an "Unhandled error event".
        redis.on('error', () => undefined);
        return (this.redis = redis);
      },
    );
    return this.opening;
  }

  private assertOpen(): void {
    // ioredis would queue a command on a client disconnected while reconnecting instead of refusing it.
    if (this.closed) throw new Error('RedisCheckpointStore is closed');
  }
}

export function formatValue({ sequenceNumber, subSequenceNumber }: Checkpoint): string {
  if (sequenceNumber === SHARD_END || subSequenceNumber === 0) return sequenceNumber;
  return `${sequenceNumber}:${subSequenceNumber}`;
}

export function parseValue(value: string): Checkpoint {
  const separator = value.lastIndexOf(':');
  if (separator < 0) return { sequenceNumber: value, subSequenceNumber: 0 };
  const sub = value.slice(separator + 1);
  if (!/^\d+$/.test(sub)) throw new Error(`unreadable checkpoint value in Redis: ${JSON.stringify(value)}`);
  return { sequenceNumber: value.slice(0, separator), subSequenceNumber: Number(sub) };
}
