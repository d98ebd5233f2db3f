/**
 * LeaseTable against dynalite: the KCL's attributes, and conditional writes that let exactly one worker win.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { injectFaults } from '../../../../test/support/faults.js';
import { dynamoClient, uniqueName } from '../../../../test/support/harness.js';
import { DynamoDBCheckpointStore } from '../checkpoint/index.js';
import { LeaseTableError } from './errors.js';
import type { Lease } from './lease.js';
import { LeaseTable } from './lease-table.js';

describe('LeaseTable on dynalite', () => {
  let client: DynamoDBClient;
  let table: LeaseTable;
  beforeAll(() => (client = dynamoClient()));
  afterAll(() => client.destroy());
  beforeEach(async () => {
    table = new LeaseTable({ client, tableName: uniqueName('leases') });
    await table.ensureTable();
  });

  const rawItem = async (leaseKey: string) =>
    (
      await client.send(
        new GetItemCommand({
          TableName: table.tableName,
          Key: { leaseKey: { S: leaseKey } },
          ConsistentRead: true,
        }),
      )
    ).Item!;

  it("creates leases with the KCL's attributes, once", async () => {
    expect(
      await table.create(
        'shardId-000000000002',
        ['shardId-000000000000', 'shardId-000000000001'],
        'TRIM_HORIZON',
      ),
    ).toBe(true);
    expect(await table.create('shardId-000000000002', [], 'LATEST')).toBe(false); // idempotent, first one kept
    expect(await rawItem('shardId-000000000002')).toEqual({
      leaseKey: { S: 'shardId-000000000002' },
      leaseCounter: { N: '0' },
      checkpoint: { S: 'TRIM_HORIZON' },
      checkpointSubSequenceNumber: { N: '0' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      parentShardId: { SS: expect.arrayContaining(['shardId-000000000000', 'shardId-000000000001']) },
    });
    await table.create('shardId-000000000000', [], 'LATEST');
    const leases = await table.list();
    expect(leases.map((l) => l.leaseKey).sort()).toEqual(['shardId-000000000000', 'shardId-000000000002']);
    expect(leases.find((l) => l.leaseKey === 'shardId-000000000000')).toEqual({
      leaseKey: 'shardId-000000000000',
      leaseOwner: undefined,
      leaseCounter: 0,
      checkpoint: { sequenceNumber: 'LATEST', subSequenceNumber: 0 },
      ownerSwitchesSinceCheckpoint: 0,
      parentShardIds: [],
      checkpointOwner: undefined,
    });
  });

  it('lists every lease across Scan pages', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
    // A Scan page holds at most 1 MB (dynalite too): 120 leases of ~12 KB (many parents) need two.
    const parents = Array.from({ length: 300 }, (_, i) => `parent-${i}-${'x'.repeat(30)}`);
    await Promise.all(keys.map((k) => table.create(k, parents, 'TRIM_HORIZON')));
    const counter = injectFaults(client, {});
    try {
      expect((await table.list()).map((l) => l.leaseKey).sort()).toEqual(keys);
      expect(counter.calls.get('Scan')).toBeGreaterThan(1);
    } finally {
      counter.remove();
    }
  });

  it('two workers racing for one lease: exactly one wins, every time', async () => {
    for (let round = 0; round < 10; round++) {
      const key = `shard-${round}`;
      await table.create(key, [], 'TRIM_HORIZON');
      const [seen] = (await table.list()).filter((l) => l.leaseKey === key);
      const [a, b] = await Promise.all([table.take(seen, 'worker-a'), table.take(seen, 'worker-b')]);
      expect([a, b].filter(Boolean)).toHaveLength(1);
      const winner = (a ?? b)!;
      expect(winner.leaseCounter).toBe(1);
      expect((await table.get(key))!.leaseOwner).toBe(winner.leaseOwner);
    }
  });

  it('a worker whose lease was stolen can no longer renew, checkpoint or release it', async () => {
    await table.create('s', [], 'TRIM_HORIZON');
    const mine = (await table.take((await table.get('s'))!, 'worker-a'))!;
    const renewed = (await table.renew('s', mine.leaseCounter, 'worker-a'))!;
    expect(renewed.leaseCounter).toBe(2);
    const stolen = (await table.take(renewed, 'worker-b'))!;
    expect(stolen).toMatchObject({
      leaseOwner: 'worker-b',
      leaseCounter: 3,
      ownerSwitchesSinceCheckpoint: 1,
    });
    const at = { sequenceNumber: '42', subSequenceNumber: 0 };
    expect(await table.renew('s', renewed.leaseCounter, 'worker-a')).toBeUndefined();
    expect(await table.checkpoint('s', renewed.leaseCounter, 'worker-a', at)).toBeUndefined();
    expect(await table.release('s', renewed.leaseCounter, 'worker-a')).toBe(false);
    // The right counter is not enough either: the owner must match.
    expect(await table.renew('s', stolen.leaseCounter, 'worker-a')).toBeUndefined();
    expect((await table.get('s'))!).toMatchObject({ leaseOwner: 'worker-b', leaseCounter: 3 });
    expect((await table.get('s'))!.checkpoint?.sequenceNumber).toBe('TRIM_HORIZON');
  });

  it('a checkpoint under the lease bumps the counter and resets the owner switches', async () => {
    await table.create('s', [], 'TRIM_HORIZON');
    await table.take((await table.get('s'))!, 'worker-a');
    const b = (await table.take((await table.get('s'))!, 'worker-b'))!;
    expect(b.ownerSwitchesSinceCheckpoint).toBe(1);
    const after = (await table.checkpoint('s', b.leaseCounter, 'worker-b', {
      sequenceNumber: '7',
      subSequenceNumber: 3,
    }))!;
    expect(after).toMatchObject({
      leaseCounter: b.leaseCounter + 1,
      checkpoint: { sequenceNumber: '7', subSequenceNumber: 3 },
      ownerSwitchesSinceCheckpoint: 0,
    });
  });

  it('cooperative handoff: asked, the holder keeps checkpointing, then hands over; nobody else can ask meanwhile', async () => {
    await table.create('s', [], 'TRIM_HORIZON');
    let a: Lease = (await table.take((await table.get('s'))!, 'worker-a'))!;
    const asked = (await table.requestHandoff(a, 'worker-b'))!;
    expect(asked).toMatchObject({
      leaseOwner: 'worker-b',
      checkpointOwner: 'worker-a',
      leaseCounter: a.leaseCounter,
    });
    expect(await table.requestHandoff(asked, 'worker-c')).toBeUndefined(); // one request at a time
    // The holder learns of it from its renewal, and may still checkpoint (its shutdown checkpoint).
    a = (await table.renew('s', a.leaseCounter, 'worker-a'))!;
    expect(a).toMatchObject({ leaseOwner: 'worker-b', checkpointOwner: 'worker-a' });
    a = (await table.checkpoint('s', a.leaseCounter, 'worker-a', {
      sequenceNumber: '9',
      subSequenceNumber: 0,
    }))!;
    // The requester cannot use the lease before the hand-over.
    expect(await table.renew('s', a.leaseCounter, 'worker-b')).toBeUndefined();
    expect(
      await table.checkpoint('s', a.leaseCounter, 'worker-b', { sequenceNumber: '9', subSequenceNumber: 0 }),
    ).toBeUndefined();
    const handed = (await table.handOver('s', a.leaseCounter, 'worker-a'))!;
    expect(handed).toMatchObject({
      leaseOwner: 'worker-b',
      checkpointOwner: undefined,
      leaseCounter: a.leaseCounter + 1,
      ownerSwitchesSinceCheckpoint: 1,
      checkpoint: { sequenceNumber: '9', subSequenceNumber: 0 },
    });
    expect(await table.renew('s', handed.leaseCounter, 'worker-a')).toBeUndefined();
    expect(await table.renew('s', handed.leaseCounter, 'worker-b')).toBeDefined();
  });

  it('a withdrawn request leaves the holder in place', async () => {
    await table.create('s', [], 'TRIM_HORIZON');
    const a = (await table.take((await table.get('s'))!, 'worker-a'))!;
    const asked = (await table.requestHandoff(a, 'worker-b'))!;
    expect(await table.cancelHandoff(asked, 'worker-b')).toMatchObject({
      leaseOwner: 'worker-a',
      checkpointOwner: undefined,
    });
    expect(await table.handOver('s', a.leaseCounter, 'worker-a')).toBeUndefined();
    expect(await table.renew('s', a.leaseCounter, 'worker-a')).toBeDefined();
  });

  it('a released lease is free for anyone at once', async () => {
    await table.create('s', [], 'TRIM_HORIZON');
    const a = (await table.take((await table.get('s'))!, 'worker-a'))!;
    expect(await table.release('s', a.leaseCounter, 'worker-a')).toBe(true);
    const free = (await table.get('s'))!;
    expect(free.leaseOwner).toBeUndefined();
    expect(await table.take(free, 'worker-b')).toMatchObject({
      leaseOwner: 'worker-b',
      ownerSwitchesSinceCheckpoint: 0,
    });
  });

  it('a renewal whose response was lost and that the SDK sent again is not taken for a loss', async () => {
    await table.create('s', [], 'TRIM_HORIZON');
    const a = (await table.take((await table.get('s'))!, 'worker-a'))!;
    // The first request succeeds on the server, its answer is "lost"; the retry then fails its condition.
    const faults = injectFaults(client, {
      UpdateItem: async ({ send }) => {
        await send();
        return send();
      },
    });
    try {
      expect(await table.renew('s', a.leaseCounter, 'worker-a')).toMatchObject({
        leaseCounter: a.leaseCounter + 1,
      });
    } finally {
      faults.remove();
    }
    expect((await table.get('s'))!.leaseCounter).toBe(a.leaseCounter + 1);
  });

  it('adopts a checkpoint DynamoDBCheckpointStore wrote, and that store reads lease checkpoints', async () => {
    const stream = uniqueName('stream');
    const store = new DynamoDBCheckpointStore({ client, tableName: table.tableName });
    await store.set(stream, 'old', { sequenceNumber: '123', subSequenceNumber: 4 });
    const old = (await table.get('old'))!;
    expect(old).toMatchObject({
      leaseCounter: 0,
      leaseOwner: undefined,
      checkpoint: { sequenceNumber: '123', subSequenceNumber: 4 },
    });
    const taken = (await table.take(old, 'worker-a'))!;
    await table.checkpoint('old', taken.leaseCounter, 'worker-a', {
      sequenceNumber: '456',
      subSequenceNumber: 0,
    });
    expect(await store.get(stream, 'old')).toEqual({ sequenceNumber: '456', subSequenceNumber: 0 });
  });

  it('fails with LeaseTableError, not a refusal, when DynamoDB fails', async () => {
    const missing = new LeaseTable({ client, tableName: uniqueName('missing'), createTable: false });
    await expect(missing.list()).rejects.toBeInstanceOf(LeaseTableError);
    await expect(missing.renew('s', 1, 'worker-a')).rejects.toMatchObject({
      name: 'LeaseTableError',
      operation: 'renew',
      leaseKey: 's',
    });
  });
});
