/**
 * Shards shared among consumer instances through a DynamoDB lease table, the KCL's way (`ConsumerOptions.leases`).
 *
 * - Table: `${appName}-${streamName}` (DynamoDBCheckpointStore's name), hash key `leaseKey` = shard id, the KCL
 *   attributes (see lease.ts). Every write is conditional on `leaseCounter`, and on the owner where the KCL checks it.
 * - Expiry: a lease whose counter this worker saw stand still for `failoverTimeMs` (its own monotonic clock; no
 *   timestamps in the table) is taken by whoever is under target. A holder whose renewals failed for that long
 *   stops reading (leaseLost), as the KCL's renewer does; a refused renewal or checkpoint stops it at once.
 * - Balance (KCL 2.x taker): target = ceil(workable leases / live workers), live = owners of unexpired leases
 *   plus itself. Under target: take free or expired leases; none free: ask the most loaded worker for one.
 * - Cooperative handoff (KCL 3.x attributes): the requester sets `leaseOwner` = itself, `checkpointOwner` = the
 *   holder (counter checked, not bumped). The holder sees it in its next renewal, stops the shard after the
 *   batch (shutdownRequested checkpoints, still allowed to it as `checkpointOwner`), then removes
 *   `checkpointOwner` and bumps the counter: the requester, now the actual owner, takes it at its next scan and
 *   resumes at that checkpoint. Not handed over within `handoffTimeoutMs`: the requester takes it (a steal).
 * - Resharding: a child's lease is workable only once every parent lease still in the table is at SHARD_END.
 */
export { LeaseTableError } from './errors.js';
export type { Lease } from './lease.js';
export { LeaseTable, type LeaseTableOptions } from './lease-table.js';
export { leaseTableName } from './table-setup.js';
export { LEASE_DEFAULTS, type LeaseOptions } from './lease-options.js';
export { LeaseCheckpointStore, type LeaseCheckpointer } from './lease-checkpoint-store.js';
export type { LeaseEvent } from './lease-callbacks.js';
export {
  isSettled,
  leaseAssignment,
  measureSettle,
  type LeaseAssignment,
  type SettleOptions,
  type SettleResult,
} from './settle.js';
