import {
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Checkpoint } from '../types.js';
import { LeaseTableError } from './errors.js';
import { actualOwner, LEASE_KEY, LEASE_NAMES, leaseFromItem, newLeaseItem, type Lease } from './lease.js';
import { ensureLeaseTable } from './table-setup.js';

export interface LeaseTableOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Create a missing table (hash key `leaseKey`, on-demand) and wait for it. Default: true. */
  createTable?: boolean;
  /** How long to wait for a new table to become ACTIVE. Default: 60 s. */
  tableActiveTimeoutMs?: number;
}

/** The lease's actual owner is `:me`: its holder, or the worker handing it over (KCL 3.x `checkpointOwner`). */
const HELD_BY_ME = '(#cpOwner = :me OR (#owner = :me AND attribute_not_exists(#cpOwner)))';

/** A counter of 0 also matches an item with none: a checkpoint DynamoDBCheckpointStore wrote before leases. */
const counterIs = (counter: number) =>
  counter === 0 ? '(#counter = :counter OR attribute_not_exists(#counter))' : '#counter = :counter';

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

interface ConditionalUpdate {
  operation: string;
  leaseKey: string;
  update: string;
  condition: string;
  values: Record<string, AttributeValue>;
  /**
   * After a refused condition: whether the item shows our own write went through (the SDK retried a request
   * that had succeeded, the KCL's "spurious failure"), so the refusal is not a loss.
   */
  alreadyApplied(lease: Lease): boolean;
}

/**
 * DynamoDB access for leases. Every change is a conditional UpdateItem on `leaseCounter` (and the owner where
 * the KCL checks it); a refused condition answers `undefined` (or `false`), any other failure throws
 * LeaseTableError. Renewals, takes, checkpoints and hand-overs bump the counter, so a worker that lost a lease
 * cannot write to it again.
 */
export class LeaseTable {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private ready: Promise<void> | undefined;

  constructor(private readonly options: LeaseTableOptions) {
    if (!options.tableName) throw new TypeError('LeaseTable: tableName is required');
    this.client = options.client;
    this.tableName = options.tableName;
  }

  /** Creates the table when asked to (once; a failure is forgotten so the next call tries again). */
  ensureTable(): Promise<void> {
    if (this.options.createTable === false) return Promise.resolve();
    this.ready ??= ensureLeaseTable(this.client, this.tableName, this.options.tableActiveTimeoutMs).catch(
      (cause) => {
        this.ready = undefined;
        throw new LeaseTableError('ensureTable', this.tableName, undefined, { cause });
      },
    );
    return this.ready;
  }

  /** Every lease, following the Scan's pages; consistent, so a write acknowledged before is seen. */
  async list(): Promise<Lease[]> {
    const leases: Lease[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.call('list', undefined, () =>
        this.client.send(
          new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
        ),
      );
      for (const item of page.Items ?? []) leases.push(leaseFromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return leases;
  }

  async get(leaseKey: string): Promise<Lease | undefined> {
    const { Item } = await this.call('get', leaseKey, () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [LEASE_KEY]: S(leaseKey) },
          ConsistentRead: true,
        }),
      ),
    );
    return Item ? leaseFromItem(Item) : undefined;
  }

  /** Creates an unowned lease unless one exists. Idempotent: resolves false when it was there already. */
  async create(leaseKey: string, parentShardIds: string[], initialPosition: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: newLeaseItem(leaseKey, parentShardIds, initialPosition),
          ConditionExpression: 'attribute_not_exists(#key)',
          ExpressionAttributeNames: { '#key': LEASE_KEY },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new LeaseTableError('create', this.tableName, leaseKey, { cause: error });
    }
  }

  /** Takes a lease as last seen (free, expired, ours, or stolen), conditional on its counter being unchanged. */
  take(lease: Lease, owner: string): Promise<Lease | undefined> {
    const previous = actualOwner(lease);
    const switched = previous !== undefined && previous !== owner;
    return this.conditionalUpdate({
      operation: 'take',
      leaseKey: lease.leaseKey,
      update: `SET #owner = :me, #counter = :next REMOVE #cpOwner${switched ? ' ADD #switches :one' : ''}`,
      condition: counterIs(lease.leaseCounter),
      values: {
        ':me': S(owner),
        ':counter': N(lease.leaseCounter),
        ':next': N(lease.leaseCounter + 1),
        ':one': N(1),
      },
      alreadyApplied: (l) =>
        l.leaseOwner === owner && !l.checkpointOwner && l.leaseCounter === lease.leaseCounter + 1,
    });
  }

  /** Bumps the counter of a lease we hold. The answer shows a pending handoff (`checkpointOwner` = us). */
  renew(leaseKey: string, counter: number, owner: string): Promise<Lease | undefined> {
    return this.conditionalUpdate({
      operation: 'renew',
      leaseKey,
      update: 'SET #counter = :next',
      condition: `${counterIs(counter)} AND ${HELD_BY_ME}`,
      values: { ':me': S(owner), ':counter': N(counter), ':next': N(counter + 1) },
      alreadyApplied: (l) => actualOwner(l) === owner && l.leaseCounter === counter + 1,
    });
  }

  /**
   * Asks the holder for its lease, the KCL 3.x way: `leaseOwner` becomes the requester and `checkpointOwner`
   * the holder, who keeps reading and checkpointing until it hands over. The counter is checked but not
   * bumped, so the holder's renewals go on and it learns of the request from the next one.
   */
  requestHandoff(lease: Lease, to: string): Promise<Lease | undefined> {
    const from = lease.leaseOwner ?? '';
    return this.conditionalUpdate({
      operation: 'requestHandoff',
      leaseKey: lease.leaseKey,
      update: 'SET #owner = :to, #cpOwner = :from',
      condition: `${counterIs(lease.leaseCounter)} AND #owner = :from AND attribute_not_exists(#cpOwner)`,
      values: { ':to': S(to), ':from': S(from), ':counter': N(lease.leaseCounter) },
      alreadyApplied: (l) =>
        l.leaseOwner === to && l.checkpointOwner === from && l.leaseCounter === lease.leaseCounter,
    });
  }

  /** The holder, done with the shard (checkpointed), gives the lease to the requester in `leaseOwner`. */
  handOver(leaseKey: string, counter: number, from: string): Promise<Lease | undefined> {
    return this.conditionalUpdate({
      operation: 'handOver',
      leaseKey,
      update: 'SET #counter = :next REMOVE #cpOwner ADD #switches :one',
      condition: `${counterIs(counter)} AND #cpOwner = :from`,
      values: { ':from': S(from), ':counter': N(counter), ':next': N(counter + 1), ':one': N(1) },
      alreadyApplied: (l) => !l.checkpointOwner && l.leaseOwner !== from && l.leaseCounter === counter + 1,
    });
  }

  /**
   * Withdraws our request (we are stopping): the holder keeps the lease. Not conditional on the counter,
   * which the holder keeps bumping, but on both owners, which name this exact request.
   */
  cancelHandoff(lease: Lease, requester: string): Promise<Lease | undefined> {
    const holder = lease.checkpointOwner ?? '';
    return this.conditionalUpdate({
      operation: 'cancelHandoff',
      leaseKey: lease.leaseKey,
      update: 'SET #owner = :from REMOVE #cpOwner',
      condition: '#owner = :me AND #cpOwner = :from',
      values: { ':me': S(requester), ':from': S(holder) },
      alreadyApplied: (l) => l.leaseOwner === holder && !l.checkpointOwner,
    });
  }

  /** Gives a lease up (the KCL's evict): no owner, so any worker may take it at once. */
  async release(leaseKey: string, counter: number, owner: string): Promise<boolean> {
    const released = await this.conditionalUpdate({
      operation: 'release',
      leaseKey,
      update: 'SET #counter = :next REMOVE #owner, #cpOwner',
      condition: `${counterIs(counter)} AND ${HELD_BY_ME}`,
      values: { ':me': S(owner), ':counter': N(counter), ':next': N(counter + 1) },
      alreadyApplied: (l) => l.leaseOwner === undefined && l.leaseCounter === counter + 1,
    });
    return released !== undefined;
  }

  /** Stores a checkpoint, only while we hold the lease (the KCL's updateLease: counter checked and bumped). */
  checkpoint(leaseKey: string, counter: number, owner: string, at: Checkpoint): Promise<Lease | undefined> {
    return this.conditionalUpdate({
      operation: 'checkpoint',
      leaseKey,
      update: 'SET #cp = :cp, #sub = :sub, #switches = :zero, #counter = :next',
      condition: `${counterIs(counter)} AND ${HELD_BY_ME}`,
      values: {
        ':me': S(owner),
        ':counter': N(counter),
        ':next': N(counter + 1),
        ':cp': S(at.sequenceNumber),
        ':sub': N(at.subSequenceNumber),
        ':zero': N(0),
      },
      alreadyApplied: (l) =>
        actualOwner(l) === owner &&
        l.leaseCounter === counter + 1 &&
        l.checkpoint?.sequenceNumber === at.sequenceNumber &&
        l.checkpoint.subSequenceNumber === at.subSequenceNumber,
    });
  }

  private async conditionalUpdate(u: ConditionalUpdate): Promise<Lease | undefined> {
    const expression = `${u.update} ${u.condition}`;
    // DynamoDB refuses placeholders an expression does not use: send only the used ones.
    const used = <T>(map: Record<string, T>) =>
      Object.fromEntries(Object.entries(map).filter(([k]) => new RegExp(`${k}\\b`).test(expression)));
    try {
      const { Attributes } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [LEASE_KEY]: S(u.leaseKey) },
          UpdateExpression: u.update,
          ConditionExpression: `attribute_exists(#key) AND ${u.condition}`,
          ExpressionAttributeNames: { ...used(LEASE_NAMES as Record<string, string>), '#key': LEASE_KEY },
          ExpressionAttributeValues: used(u.values),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return leaseFromItem(Attributes!);
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw new LeaseTableError(u.operation, this.tableName, u.leaseKey, { cause: error });
      }
      const current = await this.get(u.leaseKey);
      return current && u.alreadyApplied(current) ? current : undefined;
    }
  }

  private async call<T>(operation: string, leaseKey: string | undefined, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (cause) {
      throw new LeaseTableError(operation, this.tableName, leaseKey, { cause });
    }
  }
}

function isConditionFailure(error: unknown): boolean {
  return (error as Error)?.name === 'ConditionalCheckFailedException';
}
