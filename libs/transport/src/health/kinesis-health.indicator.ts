/**
 * A Terminus health indicator that checks what a Kinesis server or client does, not only that it connected:
 * its status, each shard's lag and throttling streak, the lease share, the reply readers (kinesis-health.ts).
 * @nestjs/terminus is an optional peer: it is loaded at the first check, so this entry loads without it.
 */
import { Injectable } from '@nestjs/common';
import type { HealthIndicatorService } from '@nestjs/terminus';
import { loadPeer } from '../../../kinesis/src/peer.js';
import {
  kinesisHealthProblems,
  type KinesisHealth,
  type KinesisHealthProblem,
  type KinesisHealthThresholds,
} from './kinesis-health.js';

/**
 * What a check reports beside its status: the snapshot (its `status` as `transportStatus`: Terminus keeps
 * `status` for up/down) and the problems. Counts, ids, durations only; at most MAX_LISTED problems and
 * shards per consumer (a server may read hundreds of shards): `unlisted` counts the rest.
 */
export type KinesisHealthDetails = DistributiveOmit<KinesisHealth, 'status'> & {
  transportStatus: KinesisHealth['status'];
  problems: KinesisHealthProblem[];
  unlisted?: { problems: number; shards: number };
};

const MAX_LISTED = 50;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A Terminus HealthIndicatorResult (the same shape, spelled here so the types need no Terminus). */
export type KinesisHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down' } & KinesisHealthDetails
>;

/**
 * `providers: [KinesisHealthIndicator]` beside TerminusModule, then in a health controller:
 * `health.check([() => kinesis.isHealthy('orders', server), () => kinesis.isHealthy('orders-client', client)])`.
 * Down when: disconnected (or not started), a shard lagging above `maxLagMs`, a throttling streak above
 * `maxThrottleStreak`, a worker below its lease share for longer than `leaseShareGraceMs` (or holding none
 * while shards are unleased), a stopped reply reader.
 */
@Injectable()
export class KinesisHealthIndicator {
  private service: HealthIndicatorService | undefined;

  async isHealthy<const Key extends string>(
    key: Key,
    target: { health(): KinesisHealth },
    thresholds: KinesisHealthThresholds = {},
  ): Promise<KinesisHealthResult<Key>> {
    const terminus = await loadPeer<typeof import('@nestjs/terminus')>(
      '@nestjs/terminus',
      'KinesisHealthIndicator',
    );
    this.service ??= new terminus.HealthIndicatorService();
    const health = target.health();
    const problems = kinesisHealthProblems(health, thresholds);
    const session = this.service.check(key);
    const details: Record<string, unknown> = boundedDetails(health, problems);
    const result = problems.length === 0 ? session.up(details) : session.down(details);
    return result as KinesisHealthResult<Key>;
  }
}

function boundedDetails(health: KinesisHealth, problems: KinesisHealthProblem[]): KinesisHealthDetails {
  const { status: transportStatus, ...snapshot } = health;
  let unlistedShards = 0;
  if (snapshot.kind === 'server') {
    snapshot.consumers = snapshot.consumers.map((consumer) => {
      unlistedShards += Math.max(0, consumer.shards.length - MAX_LISTED);
      return { ...consumer, shards: consumer.shards.slice(0, MAX_LISTED) };
    });
  }
  const unlistedProblems = Math.max(0, problems.length - MAX_LISTED);
  return {
    ...snapshot,
    transportStatus,
    problems: problems.slice(0, MAX_LISTED),
    ...(unlistedProblems + unlistedShards > 0
      ? { unlisted: { problems: unlistedProblems, shards: unlistedShards } }
      : {}),
  };
}
