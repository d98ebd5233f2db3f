import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { redisUrl, uniqueName } from '../../../../test/support/harness.js';
import { SHARD_END } from '../types.js';
import { RedisCheckpointStore } from './redis-store.js';

describe('RedisCheckpointStore', () => {
  let raw: Redis;
  const stores: RedisCheckpointStore[] = [];
  const open = (options: ConstructorParameters<typeof RedisCheckpointStore>[0]) => {
    const store = new RedisCheckpointStore(options);
    stores.push(store);
    return store;
  };

  beforeAll(() => {
    raw = new Redis(redisUrl());
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await raw.quit();
  });

  it('writes `<appName>:checkpoint:<stream>:<shard>` = sequence number, `:<sub>` only when not 0', async () => {
    const appName = uniqueName('app');
    const store = open({ url: redisUrl(), appName });
    await store.set('orders', 'shardId-000000000000', { sequenceNumber: '4959', subSequenceNumber: 0 });
    await store.set('orders', 'shardId-000000000001', { sequenceNumber: '4960', subSequenceNumber: 3 });
    await store.set('payments', 'shardId-000000000002', { sequenceNumber: SHARD_END, subSequenceNumber: 0 });

    expect((await raw.keys(`${appName}:*`)).sort()).toEqual([
      `${appName}:checkpoint:orders:shardId-000000000000`,
      `${appName}:checkpoint:orders:shardId-000000000001`,
      `${appName}:checkpoint:payments:shardId-000000000002`,
    ]);
    expect(await raw.get(`${appName}:checkpoint:orders:shardId-000000000000`)).toBe('4959');
    expect(await raw.get(`${appName}:checkpoint:orders:shardId-000000000001`)).toBe('4960:3');
    expect(await raw.get(`${appName}:checkpoint:payments:shardId-000000000002`)).toBe('SHARD_END');
  });

  it('prepends keyPrefix as is', async () => {
    const appName = uniqueName('app');
    const store = open({ url: redisUrl(), appName, keyPrefix: 'tenant-a:' });
    await store.set('orders', 'shardId-000000000000', { sequenceNumber: '1', subSequenceNumber: 2 });
    expect(await raw.get(`tenant-a:${appName}:checkpoint:orders:shardId-000000000000`)).toBe('1:2');
    expect(await raw.exists(`${appName}:checkpoint:orders:shardId-000000000000`)).toBe(0);
  });

  it('reads values written by the seed project (plain sequence numbers, SHARD_END)', async () => {
    const appName = uniqueName('seed');
    await raw.set(
      `${appName}:checkpoint:orders:shardId-000000000000`,
      '49590338271490256608559692538361571095921575989136588898',
    );
    await raw.set(`${appName}:checkpoint:orders:shardId-000000000001`, 'SHARD_END');
    const store = open({ url: redisUrl(), appName });
    await expect(store.get('orders', 'shardId-000000000000')).resolves.toEqual({
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: 0,
    });
    await expect(store.get('orders', 'shardId-000000000001')).resolves.toEqual({
      sequenceNumber: SHARD_END,
      subSequenceNumber: 0,
    });
  });

  it('rejects a value it cannot read instead of guessing', async () => {
    const appName = uniqueName('bad');
    await raw.set(`${appName}:checkpoint:orders:shardId-000000000000`, '123:abc');
    const store = open({ url: redisUrl(), appName });
    await expect(store.get('orders', 'shardId-000000000000')).rejects.toThrow(/unreadable checkpoint/);
  });

  it('uses a passed-in client and leaves it open on close()', async () => {
    const client = new Redis(redisUrl());
    try {
      const appName = uniqueName('shared');
      const store = new RedisCheckpointStore({ redis: client, appName });
      await store.set('orders', 'shardId-000000000000', { sequenceNumber: '9', subSequenceNumber: 0 });
      await store.close();
      expect(client.status).toBe('ready');
      expect(await client.get(`${appName}:checkpoint:orders:shardId-000000000000`)).toBe('9');
    } finally {
      await client.quit();
    }
  });

  it('closes the connection it opened itself', async () => {
    const store = new RedisCheckpointStore({ url: redisUrl(), appName: uniqueName('own') });
    await store.get('orders', 'shardId-000000000000');
    await store.close();
    expect((store as unknown as { redis: Redis }).redis.status).toBe('end');
    await expect(store.get('orders', 'shardId-000000000000')).rejects.toThrow(/closed/);
    await store.close(); // twice is fine
  });

  it('fails fast when the server is unreachable (no endless offline queue)', async () => {
    const store = open({ url: 'redis://127.0.0.1:1', appName: uniqueName('dead') });
    const started = Date.now();
    await expect(store.get('orders', 'shardId-000000000000')).rejects.toThrow();
    await expect(
      store.set('orders', 'shardId-000000000000', { sequenceNumber: '1', subSequenceNumber: 0 }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails fast when the server accepts connections but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const { port } = silent.address() as AddressInfo;
      const store = open({ url: `redis://127.0.0.1:${port}`, appName: uniqueName('silent') });
      const started = Date.now();
      await expect(store.get('orders', 'shardId-000000000000')).rejects.toThrow(/timed out/);
      expect(Date.now() - started).toBeLessThan(5_000);
      await store.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('needs an appName and a connection', () => {
    expect(() => new RedisCheckpointStore({ appName: 'x' })).toThrow(TypeError);
    expect(() => new RedisCheckpointStore({ url: redisUrl(), appName: '' })).toThrow(TypeError);
  });
});
