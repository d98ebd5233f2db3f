import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sleep } from '../backoff.js';
import { KinesisError } from '../errors.js';
import type { LeaseTableError } from './errors.js';
import type { Lease } from './lease.js';
import { isWorkable } from './lease-balancer.js';
import { LeaseTable } from './lease-table.js';

export interface LeaseAssignment {
  /** Workable leases (not finished, parents done) by owner; a lease being handed over counts for its holder. */
  owners: Record<string, string[]>;
  /** Workable leases nobody owns. */
  free: string[];
  /** Leases asked for and not handed over yet. */
  handoffs: string[];
}

/** Who holds what, from one scan of the lease table. */
export function leaseAssignment(leases: Lease[]): LeaseAssignment {
  const byKey = new Map(leases.map((l) => [l.leaseKey, l]));
  const result: LeaseAssignment = { owners: {}, free: [], handoffs: [] };
  for (const lease of leases.filter((l) => isWorkable(l, byKey))) {
    const holder = lease.checkpointOwner ?? lease.leaseOwner;
    if (!holder) result.free.push(lease.leaseKey);
    else (result.owners[holder] ??= []).push(lease.leaseKey);
    if (lease.checkpointOwner) result.handoffs.push(lease.leaseKey);
  }
  return result;
}

/**
 * Settled: every workable lease owned, no handoff under way, exactly the expected workers (a number, or
 * their ids) own leases, and no two hold more than one lease apart. That is a fixed point of the balancing
 * rules: nobody takes or asks for anything from there.
 */
export function isSettled(assignment: LeaseAssignment, workers: number | string[]): boolean {
  const owners = Object.keys(assignment.owners);
  const counts = Object.values(assignment.owners).map((keys) => keys.length);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0 || assignment.free.length > 0 || assignment.handoffs.length > 0) return false;
  const expected = typeof workers === 'number' ? workers : workers.length;
  if (owners.length !== Math.min(expected, total)) return false;
  if (Array.isArray(workers) && owners.some((o) => !workers.includes(o))) return false;
  return counts.length === 0 || Math.max(...counts) - Math.min(...counts) <= 1;
}

export interface SettleOptions {
  dynamoClient: DynamoDBClient;
  tableName: string;
  /** How many workers should share the leases, or exactly which worker ids. */
  workers: number | string[];
  /** Start of the measured interval (e.g. when the workers were started, or one was killed). Default: now. */
  startedAt?: number;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Scan interval. Default 100 ms. */
  pollMs?: number;
}

export interface SettleResult {
  /** From `startedAt` to the first scan that showed the settled state. */
  elapsedMs: number;
  assignment: LeaseAssignment;
}

/**
 * Polls the lease table until the leases are settled among the expected workers: for benchmarks ("3 workers
 * settle" from their start, "recovery" from a kill) and tests. Rejects after `timeoutMs` with the last state.
 */
export async function measureSettle(options: SettleOptions): Promise<SettleResult> {
  const { startedAt = Date.now(), timeoutMs = 60_000, pollMs = 100 } = options;
  const table = new LeaseTable({
    client: options.dynamoClient,
    tableName: options.tableName,
    createTable: false,
  });
  for (;;) {
    // The workers may not have created the table yet.
    const leases = await table.list().catch((error: LeaseTableError) => {
      if ((error.cause as Error)?.name === 'ResourceNotFoundException') return [];
      throw error;
    });
    const assignment = leaseAssignment(leases);
    const now = Date.now();
    if (isSettled(assignment, options.workers)) return { elapsedMs: now - startedAt, assignment };
    if (now - startedAt > timeoutMs) {
      throw new KinesisError(`leases not settled after ${timeoutMs} ms: ${JSON.stringify(assignment)}`);
    }
    await sleep(pollMs);
  }
}
