import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Checkpoint } from '../types.js';
import { SHARD_END } from '../types.js';

/**
 * One shard's lease, as the KCL stores it in its lease table (single-stream mode: `leaseKey` is the shard
 * id). Attribute names and types follow the KCL's DynamoDBLeaseSerializer:
 *
 * | attribute                      | type | meaning                                                        |
 * | ------------------------------ | ---- | -------------------------------------------------------------- |
 * | `leaseKey`                     | S    | hash key: the shard id                                         |
 * | `leaseOwner`                   | S    | worker id; absent when nobody holds the lease                  |
 * | `leaseCounter`                 | N    | bumped by every renewal, take and checkpoint (the fencing token) |
 * | `checkpoint`                   | S    | sequence number, or TRIM_HORIZON / LATEST / AT_TIMESTAMP / SHARD_END |
 * | `checkpointSubSequenceNumber`  | N    | KPL sub-record index of the checkpoint                         |
 * | `ownerSwitchesSinceCheckpoint` | N    | owner changes since the last checkpoint                        |
 * | `parentShardId`                | SS   | parent shard ids (a string SET under a singular name, as the KCL writes it; absent when none) |
 * | `checkpointOwner`              | S    | KCL 3.x graceful handoff: set while the holder hands the lease to `leaseOwner` |
 */
export interface Lease {
  leaseKey: string;
  leaseOwner?: string;
  leaseCounter: number;
  checkpoint?: Checkpoint;
  ownerSwitchesSinceCheckpoint: number;
  parentShardIds: string[];
  /** The worker handing the lease over (it still reads and checkpoints); `leaseOwner` is the next owner. */
  checkpointOwner?: string;
}

export const LEASE_KEY = 'leaseKey';

/** The `#name` placeholders every lease expression uses. */
export const LEASE_NAMES = {
  '#key': LEASE_KEY,
  '#owner': 'leaseOwner',
  '#counter': 'leaseCounter',
  '#cp': 'checkpoint',
  '#sub': 'checkpointSubSequenceNumber',
  '#switches': 'ownerSwitchesSinceCheckpoint',
  '#parents': 'parentShardId',
  '#cpOwner': 'checkpointOwner',
} as const;

/** Who reads the shard now: during a graceful handoff the worker handing over, else the lease owner. */
export function actualOwner(lease: Lease): string | undefined {
  return lease.checkpointOwner ?? lease.leaseOwner;
}

/** True when the shard was read to its end: nothing left to lease. */
export function isFinished(lease: Lease | undefined): boolean {
  return lease?.checkpoint?.sequenceNumber === SHARD_END;
}

export function leaseFromItem(item: Record<string, AttributeValue>): Lease {
  const number = (name: string) => (item[name]?.N === undefined ? 0 : Number(item[name].N));
  const sequenceNumber = item.checkpoint?.S;
  return {
    leaseKey: item[LEASE_KEY].S!,
    leaseOwner: item.leaseOwner?.S,
    leaseCounter: number('leaseCounter'),
    checkpoint:
      sequenceNumber === undefined
        ? undefined
        : { sequenceNumber, subSequenceNumber: number('checkpointSubSequenceNumber') },
    ownerSwitchesSinceCheckpoint: number('ownerSwitchesSinceCheckpoint'),
    parentShardIds: [...(item.parentShardId?.SS ?? [])].sort(),
    checkpointOwner: item.checkpointOwner?.S,
  };
}

/** A new, unowned lease as the KCL creates it: counter 0, the initial position as its checkpoint. */
export function newLeaseItem(
  leaseKey: string,
  parentShardIds: string[],
  initialPosition: string,
): Record<string, AttributeValue> {
  return {
    leaseKey: { S: leaseKey },
    leaseCounter: { N: '0' },
    checkpoint: { S: initialPosition },
    checkpointSubSequenceNumber: { N: '0' },
    ownerSwitchesSinceCheckpoint: { N: '0' },
    // DynamoDB refuses empty sets: the KCL leaves the attribute out when there is no parent.
    ...(parentShardIds.length > 0 ? { parentShardId: { SS: [...new Set(parentShardIds)] } } : {}),
  };
}
