import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { jest } from '@jest/globals';
import { uniqueName } from '../../../../test/support/harness.js';
import { CheckpointStoreError, InvalidCheckpointError, LeaseLostError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Checkpoint, CheckpointStore } from '../types.js';
import { DynamoDBCheckpointStore } from './dynamodb-store.js';
import { MemoryCheckpointStore } from './memory-store.js';
import { RedisCheckpointStore } from './redis-store.js';
import { withRetries } from './retrying-store.js';

const checkpoint: Checkpoint = { sequenceNumber: '100', subSequenceNumber: 0 };
const fast = { baseMs: 1, maxMs: 5, logger: silentLogger };

/** A memory store whose calls fail while `failures` holds errors, one error per call. */
function flaky(failures: unknown[]) {
  const inner = new MemoryCheckpointStore();
  const calls = { get: 0, set: 0 };
  const store: CheckpointStore = {
    async get(stream, shard) {
      calls.get++;
      if (failures.length) throw failures.shift();
      return inner.get(stream, shard);
    },
    async set(stream, shard, value) {
      calls.set++;
      if (failures.length) throw failures.shift();
      return inner.set(stream, shard, value);
    },
  };
  return { store, inner, calls };
}

describe('withRetries', () => {
  it('succeeds on the third call after two failures', async () => {
    const { store, inner, calls } = flaky([new Error('boom 1'), new Error('boom 2')]);
    await withRetries(store, fast).set('orders', 'shardId-000000000000', checkpoint);
    expect(calls.set).toBe(3);
    await expect(inner.get('orders', 'shardId-000000000000')).resolves.toEqual(checkpoint);

    const again = flaky([new Error('boom 1'), new Error('boom 2')]);
    await again.inner.set('orders', 'shardId-000000000000', checkpoint);
    await expect(withRetries(again.store, fast).get('orders', 'shardId-000000000000')).resolves.toEqual(
      checkpoint,
    );
    expect(again.calls.get).toBe(3);
  });

  it('rejects with CheckpointStoreError carrying the last cause and the attempts when every call fails', async () => {
    const last = new Error('still down');
    const { store, calls } = flaky([new Error('down 1'), new Error('down 2'), last, new Error('unused')]);
    const error = await withRetries(store, fast)
      .set('orders', 'shardId-000000000007', checkpoint)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointStoreError);
    expect(error).toMatchObject({
      operation: 'set',
      streamName: 'orders',
      shardId: 'shardId-000000000007',
      attempts: 3,
      cause: last,
    });
    expect(calls.set).toBe(3);

    const get = flaky(Array.from({ length: 5 }, (_, i) => new Error(`get ${i}`)));
    await expect(
      withRetries(get.store, { ...fast, attempts: 5 }).get('orders', 'shardId-000000000001'),
    ).rejects.toMatchObject({ name: 'CheckpointStoreError', operation: 'get', attempts: 5 });
    expect(get.calls.get).toBe(5);
  });

  it('does not retry LeaseLostError and rethrows it as is', async () => {
    const leaseLost = new LeaseLostError('shardId-000000000000');
    const { store, calls } = flaky([leaseLost]);
    await expect(withRetries(store, fast).set('orders', 'shardId-000000000000', checkpoint)).rejects.toBe(
      leaseLost,
    );
    expect(calls.set).toBe(1);
  });

  it('does not retry a malformed checkpoint', async () => {
    const { store, calls } = flaky([]);
    await expect(
      withRetries(store, fast).set('orders', 'shardId-000000000000', {
        sequenceNumber: '',
        subSequenceNumber: 0,
      }),
    ).rejects.toBeInstanceOf(InvalidCheckpointError);
    expect(calls.set).toBe(1);
  });

  it('backs off between attempts and warns about each retry', async () => {
    const warn = jest.fn<Logger['warn']>();
    const logger: Logger = { ...silentLogger, warn };
    const { store } = flaky([new Error('a'), new Error('b')]);
    const started = Date.now();
    await withRetries(store, { baseMs: 40, maxMs: 40, logger }).get('orders', 'shardId-000000000000');
    expect(Date.now() - started).toBeGreaterThanOrEqual(40); // two delays of 20-40 ms
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0][1]).toMatchObject({ operation: 'get', attempt: 1, error: 'a' });
  });

  it('closes the inner store and refuses nonsense attempts', async () => {
    const close = jest.fn(async () => undefined);
    await withRetries({
      ...new MemoryCheckpointStore(),
      get: async () => undefined,
      set: async () => {},
      close,
    }).close?.();
    expect(close).toHaveBeenCalledTimes(1);
    expect(() => withRetries(new MemoryCheckpointStore(), { attempts: 0 })).toThrow(RangeError);
  });

  describe('with real unreachable servers', () => {
    const unreachable = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: new NodeHttpHandler(),
    });
    const redis = new RedisCheckpointStore({ url: 'redis://127.0.0.1:1', appName: uniqueName('dead') });
    afterAll(async () => {
      await redis.close();
      unreachable.destroy();
    });

    it.each([
      ['redis', () => redis],
      ['dynamodb', () => new DynamoDBCheckpointStore({ client: unreachable, appName: uniqueName('dead') })],
    ])('%s: get and set reject with CheckpointStoreError within seconds', async (_name, create) => {
      const store = withRetries(create(), { logger: silentLogger });
      for (const call of [
        () => store.get('orders', 'shardId-000000000000'),
        () => store.set('orders', 'shardId-000000000000', checkpoint),
      ]) {
        const started = Date.now();
        const error = await call().catch((e: unknown) => e);
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(error).toBeInstanceOf(CheckpointStoreError);
        expect(error).toMatchObject({ attempts: 3 });
        expect((error as Error).cause).toBeInstanceOf(Error);
      }
    });
  });
});
