/**
 * The pure rules: expiry as observed by one worker, the KCL's balancing, option defaults and settle detection.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { MemoryCheckpointStore } from '../checkpoint/index.js';
import { Consumer } from '../consumer/consumer.js';
import { InvalidCheckpointingError } from '../consumer/consumer-options.js';
import type { RecordProcessor } from '../types.js';
import { CounterObserver } from './counter-observer.js';
import type { Lease } from './lease.js';
import { planBalance } from './lease-balancer.js';
import { resolveLeaseOptions } from './lease-options.js';
import { isSettled, leaseAssignment } from './settle.js';

const lease = (leaseKey: string, leaseOwner?: string, extra: Partial<Lease> = {}): Lease => ({
  leaseKey,
  leaseOwner,
  leaseCounter: 1,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
  checkpoint: { sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 },
  ...extra,
});
/** `owners` = one owner (or undefined) per lease: shard-0, shard-1, ... */
const leases = (...owners: Array<string | undefined>) => owners.map((o, i) => lease(`shard-${i}`, o));
const plan = (workerId: string, all: Lease[], expired: string[] = []) =>
  planBalance({
    workerId,
    leases: all,
    isExpired: (l) => !l.leaseOwner || expired.includes(l.leaseKey),
    maxLeasesForWorker: Number.MAX_SAFE_INTEGER,
    maxLeasesToStealAtOneTime: 1,
    random: () => 0.5,
  });
const keys = (ls: Lease[]) => ls.map((l) => l.leaseKey).sort();

describe('CounterObserver (expiry as this worker sees it)', () => {
  it('expires a lease whose counter stood still for the failover time, not one that moved', () => {
    const observer = new CounterObserver(1_000);
    const a = lease('a', 'w1');
    const b = lease('b', 'w2');
    observer.observe([a, b], 0);
    expect(observer.isExpired(a, 900)).toBe(false); // first sight of an owned lease: as if just renewed
    observer.observe([a, { ...b, leaseCounter: 2 }], 900);
    expect(observer.isExpired(a, 1_001)).toBe(true);
    expect(observer.isExpired({ ...b, leaseCounter: 2 }, 1_001)).toBe(false); // renewed at 900
    expect(observer.isExpired({ ...b, leaseCounter: 2 }, 1_901)).toBe(true);
  });

  it('treats unowned leases as expired, and forgets leases gone from the table', () => {
    const observer = new CounterObserver(1_000);
    observer.observe([lease('free')], 0);
    expect(observer.isExpired(lease('free'), 0)).toBe(true);
    observer.observe([lease('a', 'w1')], 0);
    observer.observe([], 5_000);
    observer.observe([lease('a', 'w1')], 6_000); // seen anew: just renewed again
    expect(observer.isExpired(lease('a', 'w1'), 6_500)).toBe(false);
  });
});

describe('planBalance (the KCL lease taker rules)', () => {
  it('alone: takes every free lease', () => {
    expect(keys(plan('w1', leases(undefined, undefined, undefined)).take)).toHaveLength(3);
  });

  it('takes free and expired leases up to the target, before asking anyone', () => {
    // w1, w2 live (w3's lease expired): 4 leases, target 2; w1 has none.
    const p = plan('w1', leases('w2', 'w2', undefined, 'w3'), ['shard-3']);
    expect(p).toMatchObject({ target: 2, workers: 2, mine: 0, request: [] });
    expect(keys(p.take)).toEqual(['shard-2', 'shard-3']);
  });

  it('asks the most loaded worker for one lease at a time when nothing is free', () => {
    const p = plan('w2', leases('w1', 'w1', 'w1', 'w1', 'w1', 'w1'));
    expect(p).toMatchObject({ target: 3, take: [] });
    expect(p.request).toHaveLength(1);
    expect(p.request[0].leaseOwner).toBe('w1');
  });

  it('a joining worker asks a worker at target when it needs more than one (2,2,2 + 0 of 6)', () => {
    const p = plan('w4', leases('w1', 'w1', 'w2', 'w2', 'w3', 'w3'));
    expect(p).toMatchObject({ target: 2, mine: 0 });
    expect(p.request).toHaveLength(1);
  });

  it('settled states ask for nothing (2,2,2 of 6; 2,2,1,1 of 6)', () => {
    for (const w of ['w1', 'w2', 'w3'])
      expect(plan(w, leases('w1', 'w1', 'w2', 'w2', 'w3', 'w3')).request).toEqual([]);
    const four = leases('w1', 'w1', 'w2', 'w2', 'w3', 'w4');
    for (const w of ['w1', 'w2', 'w3', 'w4']) {
      expect(plan(w, four)).toMatchObject({ take: [], request: [] });
    }
  });

  it('a lease being handed over counts for the requester and is not asked for twice', () => {
    const all = leases('w1', 'w1', 'w1', 'w1', 'w1', 'w1');
    all[0] = { ...all[0], leaseOwner: 'w2', checkpointOwner: 'w1' };
    const p = plan('w2', all);
    expect(p.mine).toBe(1);
    expect(p.request.every((l) => l.leaseKey !== 'shard-0')).toBe(true);
  });

  it('leaves finished leases and children of unfinished parents out', () => {
    const all = [
      lease('parent', undefined, { checkpoint: { sequenceNumber: 'SHARD_END', subSequenceNumber: 0 } }),
      lease('open-parent', 'w2'),
      lease('child', undefined, { parentShardIds: ['parent'] }),
      lease('blocked', undefined, { parentShardIds: ['parent', 'open-parent'] }),
      lease('orphan', undefined, { parentShardIds: ['aged-out'] }),
    ];
    expect(keys(plan('w1', all).take)).toEqual(['child', 'orphan']);
  });

  it('obeys maxLeasesForWorker', () => {
    const p = planBalance({
      workerId: 'w1',
      leases: leases(undefined, undefined, undefined, undefined),
      isExpired: () => true,
      maxLeasesForWorker: 3,
      maxLeasesToStealAtOneTime: 1,
    });
    expect(p.take).toHaveLength(3);
  });
});

describe('resolveLeaseOptions', () => {
  const dynamoClient = { send: async () => ({}) } as unknown as DynamoDBClient;

  it("defaults as the KCL: failover 10 s, renewal every third of it; the checkpoint store's table name", () => {
    const o = resolveLeaseOptions({ dynamoClient, appName: 'app' }, 'orders');
    expect(o).toMatchObject({
      tableName: 'app-orders',
      failoverTimeMs: 10_000,
      renewIntervalMs: 3_333,
      takeIntervalMs: 5_000,
      handoffTimeoutMs: 10_000,
      maxLeasesToStealAtOneTime: 1,
    });
    expect(o.workerId).toMatch(/\S+/);
    expect(resolveLeaseOptions({ dynamoClient, appName: 'app' }, 'orders').workerId).not.toBe(o.workerId);
  });

  it('refuses options that would make leases flap or cannot name the table', () => {
    expect(() => resolveLeaseOptions({ dynamoClient }, 's')).toThrow(TypeError);
    expect(() => resolveLeaseOptions({ dynamoClient, appName: 'a', renewIntervalMs: 6_000 }, 's')).toThrow(
      RangeError,
    );
    expect(() => resolveLeaseOptions({ dynamoClient, appName: 'a', failoverTimeMs: 1.5 }, 's')).toThrow(
      RangeError,
    );
    expect(() => resolveLeaseOptions({ dynamoClient, appName: 'a', workerId: '' }, 's')).toThrow(TypeError);
  });
});

describe('Consumer with leases', () => {
  it('refuses a checkpoint store beside leases: the leases hold the checkpoints', () => {
    const options = {
      client: {} as KinesisClient,
      streamName: 's',
      processorFactory: () => ({}) as RecordProcessor,
      leases: { dynamoClient: { send: async () => ({}) } as unknown as DynamoDBClient, appName: 'app' },
    };
    expect(() => new Consumer({ ...options, checkpointStore: new MemoryCheckpointStore() })).toThrow(
      InvalidCheckpointingError,
    );
    expect(new Consumer(options).workerId).toMatch(/\S/);
    expect(new Consumer({ ...options, leases: undefined }).workerId).toBeUndefined();
  });
});

describe('isSettled', () => {
  it('holds only for an even split among the expected workers with nothing free or moving', () => {
    const settled = leaseAssignment(leases('w1', 'w1', 'w2', 'w2', 'w3', 'w3'));
    expect(isSettled(settled, 3)).toBe(true);
    expect(isSettled(settled, ['w1', 'w2', 'w3'])).toBe(true);
    expect(isSettled(settled, ['w1', 'w2', 'w4'])).toBe(false);
    expect(isSettled(leaseAssignment(leases('w1', 'w1', 'w1', 'w2', 'w3', 'w3')), 3)).toBe(false);
    expect(isSettled(leaseAssignment(leases('w1', 'w1', 'w2', 'w2', 'w3', undefined)), 3)).toBe(false);
    const moving = leases('w1', 'w1', 'w2', 'w2', 'w3', 'w3');
    moving[0] = { ...moving[0], leaseOwner: 'w3', checkpointOwner: 'w1' };
    expect(isSettled(leaseAssignment(moving), 3)).toBe(false);
    expect(isSettled(leaseAssignment([]), 3)).toBe(false);
  });
});
