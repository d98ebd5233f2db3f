import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Consumer, silentLogger, type Checkpointer, type KinesisRecord } from '../../kinesis/src/index.js';
import { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import {
  actStreamSettings,
  MIN_PENDING_BOUND,
  serverStreamConsumer,
  ServerShardProcessor,
} from './server-shard-processor.js';
import { serverSettings } from './shared/options.js';

const record = (n: number): KinesisRecord => ({
  data: Buffer.from(String(n)),
  partitionKey: 'k',
  sequenceNumber: String(1000 + n),
  subSequenceNumber: 0,
  aggregated: false,
  approximateArrivalTimestamp: new Date(),
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ServerShardProcessor', () => {
  it('runs up to `concurrency` handlers and checkpoints only the completed prefix', async () => {
    const gates = new Map<number, ReturnType<typeof deferred>>();
    let running = 0;
    let maxRunning = 0;
    const processor = new ServerShardProcessor({
      shardId: 's',
      concurrency: 3,
      graceDeadline: () => Date.now() + 1_000,
      handle: async (r, _, handlerDone) => {
        const n = Number(r.data.toString());
        const gate = deferred();
        gates.set(n, gate);
        maxRunning = Math.max(maxRunning, ++running);
        await gate.promise;
        running--;
        handlerDone();
      },
    });
    const checkpoints: string[] = [];
    const checkpointer: Checkpointer = {
      checkpoint: async (at) =>
        void checkpoints.push(typeof at === 'string' ? at : (at?.sequenceNumber ?? 'END')),
    };
    const batch = processor.processRecords({
      records: [1, 2, 3, 4].map(record),
      millisBehindLatest: 0,
      checkpointer,
    });
    await new Promise((r) => setTimeout(r, 10));
    expect([...gates.keys()]).toEqual([1, 2, 3]); // the 4th waits for a slot
    gates.get(2)!.resolve(); // finishes out of order
    await new Promise((r) => setTimeout(r, 10));
    gates.get(4)!.resolve();
    await batch;
    expect(checkpoints).toEqual([]); // 1 is still pending: nothing may be checkpointed
    gates.get(1)!.resolve();
    await new Promise((r) => setTimeout(r, 10));
    await processor.processRecords({ records: [], millisBehindLatest: 0, checkpointer });
    expect(checkpoints).toEqual(['1002']); // 1 and 2 done, 3 pending
    gates.get(3)!.resolve();
    await processor.shutdownRequested({ checkpointer });
    expect(checkpoints).toEqual(['1002', '1004']);
    expect(maxRunning).toBe(3);
  });

  it('gives up waiting at the grace deadline and checkpoints what is done', async () => {
    const processor = new ServerShardProcessor({
      shardId: 's',
      concurrency: 2,
      graceDeadline: () => Date.now() + 50,
      handle: (r) => (r.sequenceNumber === '1001' ? Promise.resolve() : new Promise(() => undefined)),
    });
    const checkpoints: string[] = [];
    const checkpointer: Checkpointer = {
      checkpoint: async (at) => void checkpoints.push((at as KinesisRecord).sequenceNumber),
    };
    await processor.processRecords({ records: [record(1), record(2)], millisBehindLatest: 0, checkpointer });
    const started = Date.now();
    await processor.shutdownRequested({ checkpointer });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(checkpoints).toEqual(['1001']);
  });

  it('stops starting records once reading stops, so a handler that never settles cannot hold the batch', async () => {
    const started: string[] = [];
    const processor = new ServerShardProcessor({
      shardId: 's',
      concurrency: 1,
      graceDeadline: () => Date.now() + 50,
      handle: (r) => {
        started.push(r.sequenceNumber);
        return new Promise(() => undefined); // ignores everything
      },
    });
    const checkpoints: string[] = [];
    const checkpointer: Checkpointer = {
      checkpoint: async (at) => void checkpoints.push((at as KinesisRecord).sequenceNumber),
    };
    const reading = new AbortController();
    const batch = processor.processRecords({
      records: [record(1), record(2), record(3)],
      millisBehindLatest: 0,
      checkpointer,
      signal: reading.signal,
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['1001']); // 1002 waits for the only slot
    reading.abort(); // the consumer stops
    await batch;
    await processor.shutdownRequested({ checkpointer });
    expect(started).toEqual(['1001']); // 1002 and 1003 were never started: read again after a restart
    expect(checkpoints).toEqual([]); // 1001 never completed: nothing passes it
  });

  it('stops taking records while too many wait behind a hung handler, and resumes when it finishes', async () => {
    const hung = deferred();
    const started: number[] = [];
    const stalls: number[] = [];
    const processor = new ServerShardProcessor({
      shardId: 's',
      concurrency: 2,
      graceDeadline: () => Date.now() + 50,
      handle: async (r) => {
        const n = Number(r.data.toString());
        started.push(n);
        if (n === 0) await hung.promise; // the others finish at once, but cannot pass record 0
      },
      onStall: (pending) => stalls.push(pending),
    });
    const checkpoints: string[] = [];
    const checkpointer: Checkpointer = {
      checkpoint: async (at) => void checkpoints.push((at as KinesisRecord).sequenceNumber),
    };
    const batch = processor.processRecords({
      records: Array.from({ length: MIN_PENDING_BOUND * 3 }, (_, i) => record(i)),
      millisBehindLatest: 0,
      checkpointer,
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toHaveLength(MIN_PENDING_BOUND); // the bound (2 slots x 16 < 64): reading waits
    expect(processor.pending).toBe(MIN_PENDING_BOUND);
    expect(stalls).toEqual([MIN_PENDING_BOUND]); // made visible once per stall
    hung.resolve();
    await batch; // the rest taken once the hung one finished
    expect(started).toHaveLength(MIN_PENDING_BOUND * 3);
    expect(processor.pending).toBe(0);
    expect(checkpoints).toEqual([String(1000 + MIN_PENDING_BOUND * 3 - 1)]);
  });

  it('while stalled, stops waiting as soon as reading stops', async () => {
    const processor = new ServerShardProcessor({
      shardId: 's',
      concurrency: 2,
      graceDeadline: () => Date.now() + 50,
      handle: async (r) => (r.sequenceNumber === '1000' ? new Promise(() => undefined) : undefined),
    });
    const reading = new AbortController();
    const checkpointer: Checkpointer = { checkpoint: async () => undefined };
    const batch = processor.processRecords({
      records: Array.from({ length: MIN_PENDING_BOUND * 2 }, (_, i) => record(i)),
      millisBehindLatest: 0,
      checkpointer,
      signal: reading.signal,
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(processor.pending).toBe(MIN_PENDING_BOUND);
    reading.abort();
    await batch; // returns: the stalled shard does not hold the consumer's stop
    expect(processor.pending).toBe(MIN_PENDING_BOUND);
  });

  it('is closed once its final checkpoint was taken, not before', async () => {
    const gate = deferred();
    const processor = new ServerShardProcessor({
      shardId: 's',
      concurrency: 2,
      graceDeadline: () => Date.now() + 50,
      handle: async (r) => (r.sequenceNumber === '1002' ? new Promise(() => undefined) : gate.promise),
    });
    const closedAtCheckpoint: boolean[] = [];
    const checkpointer: Checkpointer = {
      checkpoint: async () => void closedAtCheckpoint.push(processor.closed),
    };
    await processor.processRecords({ records: [record(1), record(2)], millisBehindLatest: 0, checkpointer });
    expect(processor.closed).toBe(false);
    gate.resolve();
    await processor.shutdownRequested({ checkpointer });
    expect(closedAtCheckpoint).toEqual([true]); // a reply finishing while the checkpoint is stored is refused
    expect(processor.closed).toBe(true);
  });
});

describe('serverStreamConsumer', () => {
  const options = (appName: string | undefined) => {
    const settings = serverSettings({
      appName,
      leases: { dynamoClient: { send: () => undefined } as unknown as DynamoDBClient, workerId: 'w1' },
    });
    return { client: {} as KinesisClient, settings, stream: actStreamSettings(settings), ...rest(appName) };
  };
  const rest = (appName: string | undefined) => ({
    logger: silentLogger,
    warnings: new WarnThrottle(silentLogger),
    appName,
    handle: async () => undefined,
    graceDeadline: () => Infinity,
  });

  it("names the lease table after the server's appName when the leases name none", () => {
    expect(() => serverStreamConsumer(options(undefined))).toThrow(/appName/);
    expect(serverStreamConsumer(options('orders'))).toBeInstanceOf(Consumer);
  });
});
