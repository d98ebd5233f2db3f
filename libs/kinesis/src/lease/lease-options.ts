import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { leaseTableName } from './table-setup.js';

/** `ConsumerOptions.leases`: share a stream's shards among consumer instances through a DynamoDB lease table. */
export interface LeaseOptions {
  dynamoClient: DynamoDBClient;
  /** The lease table. Default: `${appName}-${streamName}`, the name DynamoDBCheckpointStore uses. */
  tableName?: string;
  /** Needed for the default table name. */
  appName?: string;
  /** This instance's name in `leaseOwner`; unique per running instance. Default: host, pid and random bytes. */
  workerId?: string;
  /** A lease whose counter did not move for this long is taken by others (the KCL's failoverTimeMillis). Default 10 s. */
  failoverTimeMs?: number;
  /** How often held leases are renewed. Default failoverTimeMs / 3, as the KCL; at most failoverTimeMs / 2. */
  renewIntervalMs?: number;
  /** How often the table is scanned to take free, expired or balancing leases. Default failoverTimeMs / 2. */
  takeIntervalMs?: number;
  /** How long a holder asked for a lease has to hand it over before the requester takes it. Default failoverTimeMs. */
  handoffTimeoutMs?: number;
  /** At most this many leases on this worker. Default: no limit. */
  maxLeasesForWorker?: number;
  /** Leases asked of the most loaded worker per scan (the KCL's maxLeasesToStealAtOneTime). Default 1. */
  maxLeasesToStealAtOneTime?: number;
  /** Create the table when missing. Default true. */
  createTable?: boolean;
}

/** The leases' fixed defaults (the intervals default to fractions of failoverTimeMs: see resolveLeaseOptions). */
export const LEASE_DEFAULTS = {
  failoverTimeMs: 10_000,
  maxLeasesForWorker: Number.MAX_SAFE_INTEGER,
  maxLeasesToStealAtOneTime: 1,
  createTable: true,
} as const;

export interface ResolvedLeaseOptions {
  dynamoClient: DynamoDBClient;
  tableName: string;
  workerId: string;
  failoverTimeMs: number;
  renewIntervalMs: number;
  takeIntervalMs: number;
  handoffTimeoutMs: number;
  maxLeasesForWorker: number;
  maxLeasesToStealAtOneTime: number;
  createTable: boolean;
}

/** Fills the defaults and refuses values that would make leases flap or never move. */
export function resolveLeaseOptions(o: LeaseOptions, streamName: string): ResolvedLeaseOptions {
  if (!o || typeof o.dynamoClient?.send !== 'function') {
    throw new TypeError('consumer option leases.dynamoClient must be a DynamoDBClient');
  }
  if (!o.tableName && !o.appName)
    throw new TypeError('consumer option leases needs `tableName` or `appName`');
  const integer = (name: keyof LeaseOptions, value: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(
        `consumer option leases.${name} must be an integer in [${min}, ${max}], got ${value}`,
      );
    }
    return value;
  };
  const failoverTimeMs = integer('failoverTimeMs', o.failoverTimeMs ?? LEASE_DEFAULTS.failoverTimeMs, 100);
  // Two renewals per failover time at least: one failed renewal must not cost the lease.
  const renewIntervalMs = integer(
    'renewIntervalMs',
    o.renewIntervalMs ?? Math.floor(failoverTimeMs / 3),
    10,
    Math.floor(failoverTimeMs / 2),
  );
  const workerId = o.workerId ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  if (typeof workerId !== 'string' || workerId.length === 0) {
    throw new TypeError('consumer option leases.workerId must be a non-empty string');
  }
  return {
    dynamoClient: o.dynamoClient,
    tableName: o.tableName ?? leaseTableName(o.appName!, streamName),
    workerId,
    failoverTimeMs,
    renewIntervalMs,
    takeIntervalMs: integer('takeIntervalMs', o.takeIntervalMs ?? Math.floor(failoverTimeMs / 2), 10),
    handoffTimeoutMs: integer('handoffTimeoutMs', o.handoffTimeoutMs ?? failoverTimeMs, 1),
    maxLeasesForWorker: integer(
      'maxLeasesForWorker',
      o.maxLeasesForWorker ?? LEASE_DEFAULTS.maxLeasesForWorker,
      1,
    ),
    maxLeasesToStealAtOneTime: integer(
      'maxLeasesToStealAtOneTime',
      o.maxLeasesToStealAtOneTime ?? LEASE_DEFAULTS.maxLeasesToStealAtOneTime,
      1,
    ),
    createTable: o.createTable ?? LEASE_DEFAULTS.createTable,
  };
}
