/**
 * What a consumer's reading looks like from outside, for health checks and metrics: per shard read, how far
 * behind it is, when it last read and how many reads in a row were throttled; with leases, this worker's share.
 * `consumerHealthProblems` judges a snapshot against limits (the transport's Terminus indicator and the
 * connector app both use it). Counts, ids and durations only: never record data.
 */
import type { LeaseShare } from '../lease/lease-share.js';

export type { LeaseShare } from '../lease/lease-share.js';

/** One shard being read. */
export interface ShardReadState {
  shardId: string;
  /** The last read's MillisBehindLatest (GetRecords or a SubscribeToShard event); undefined before one. */
  millisBehindLatest?: number;
  /** When (epoch ms) the last read returned; undefined before one. */
  lastReadAt?: number;
  /** Throttled reads in a row; a successful read resets it. */
  throttleStreak: number;
  /**
   * Since when (epoch ms) the next read is awaited: the reader's start, its last read, or its wake-up from
   * idle; undefined while it rests idle. The stall check's origin: a stuck reader keeps its last lag.
   */
  awaitingReadSince?: number;
}

export interface ConsumerHealth {
  streamName: string;
  /** Between start() and stop(). */
  running: boolean;
  /** The shards this instance reads now. */
  shards: ShardReadState[];
  /** With `leases`: this worker's part (undefined with a checkpoint store, and before the first table scan). */
  leases?: LeaseShare;
}

/** When a consumer is unhealthy. */
export interface ConsumerHealthLimits {
  /** A shard whose millisBehindLatest is above this, ms; 0: not checked. */
  maxLagMs: number;
  /** A shard (or reply reader) with more throttled reads in a row than this; 0: not checked. */
  maxThrottleStreak: number;
  /**
   * A shard (or reply reader) with no read returned for longer than this, ms (a processRecords that does not
   * return, reads failing or hanging: its millisBehindLatest is as old as its last read); 0: not checked.
   */
  maxReadGapMs: number;
  /** A worker below its lease share (`LeaseShare.belowShareSince`) for longer than this, ms. */
  leaseShareGraceMs: number;
}

/**
 * The defaults, in one place. Lag: 30 s, the client's default request timeout (a request read later than that
 * is answered after its caller gave up). Throttling: 10 reads in a row, backoff included, is seconds without a
 * record. Read gap: 60 s, many polls (200 ms by default) or fan-out events (sent while caught up too: they
 * carry the continuation), and twice the lag limit. Lease share: 60 s, several take intervals at the default failover time (10 s):
 * enough for a handoff.
 */
export const CONSUMER_HEALTH_DEFAULTS: Readonly<ConsumerHealthLimits> = Object.freeze({
  maxLagMs: 30_000,
  maxThrottleStreak: 10,
  maxReadGapMs: 60_000,
  leaseShareGraceMs: 60_000,
});

export type HealthProblemKind = 'lagging' | 'stalled' | 'throttled' | 'below lease share';

export interface HealthProblem {
  /** The shard, for a shard's problem. */
  shardId?: string;
  problem: HealthProblemKind;
  /** Counts and durations only, never record data. */
  detail: string;
}

/** A shard behind by more than `maxLagMs` (0: not checked): the one lag check, shared by every health report. */
export function lagProblem(
  shardId: string,
  millisBehindLatest: number | undefined,
  maxLagMs: number,
): { shardId: string; problem: 'lagging'; detail: string } | undefined {
  if (maxLagMs <= 0 || (millisBehindLatest ?? 0) <= maxLagMs) return undefined;
  return { shardId, problem: 'lagging', detail: `millisBehindLatest ${millisBehindLatest} > ${maxLagMs}` };
}

/** A shard read lagging above the limit, awaited longer than allowed, or throttled too many times in a row. */
export function shardReadProblems(
  state: ShardReadState,
  limits: Pick<ConsumerHealthLimits, 'maxLagMs' | 'maxThrottleStreak' | 'maxReadGapMs'>,
  now = Date.now(),
): HealthProblem[] {
  const problems: HealthProblem[] = [];
  const lag = lagProblem(state.shardId, state.millisBehindLatest, limits.maxLagMs);
  if (lag) problems.push(lag);
  const awaited = state.awaitingReadSince === undefined ? 0 : now - state.awaitingReadSince;
  if (limits.maxReadGapMs > 0 && awaited > limits.maxReadGapMs) {
    const last = state.lastReadAt === undefined ? 'none yet' : `the last ${now - state.lastReadAt} ms ago`;
    problems.push({
      shardId: state.shardId,
      problem: 'stalled',
      detail: `no read returned for ${awaited} ms > ${limits.maxReadGapMs} (${last})`,
    });
  }
  if (limits.maxThrottleStreak > 0 && state.throttleStreak > limits.maxThrottleStreak) {
    problems.push({
      shardId: state.shardId,
      problem: 'throttled',
      detail: `${state.throttleStreak} throttled reads in a row > ${limits.maxThrottleStreak}`,
    });
  }
  return problems;
}

/** What is wrong with a consumer's reading; empty when healthy. */
export function consumerHealthProblems(
  health: ConsumerHealth,
  limits: ConsumerHealthLimits,
  now = Date.now(),
): HealthProblem[] {
  const problems = health.shards.flatMap((s) => shardReadProblems(s, limits, now));
  const share = health.leases;
  if (share?.belowShareSince !== undefined && now - share.belowShareSince >= limits.leaseShareGraceMs) {
    const unleased = share.unleasedShards > 0 ? `, ${share.unleasedShards} open shards unleased` : '';
    problems.push({
      problem: 'below lease share',
      detail:
        `holds ${share.leasesHeld} of ${share.openShards} leases among ${share.workers} workers ` +
        `(even share ${share.evenShare})${unleased} for ${now - share.belowShareSince} ms`,
    });
  }
  return problems;
}

/** A shard reader's read state, kept as it reads (ShardReaderBase owns one). */
export class ShardReadTracker {
  private millisBehindLatest: number | undefined;
  private lastReadAt: number | undefined;
  private throttleStreak = 0;
  private awaitingReadSince: number | undefined = Date.now();

  constructor(private readonly shardId: string) {}

  /** A read returned (records or not). */
  read(millisBehindLatest: number | undefined): void {
    this.millisBehindLatest = millisBehindLatest;
    this.lastReadAt = Date.now();
    this.awaitingReadSince = this.lastReadAt;
    this.throttleStreak = 0;
  }

  /** Reading rests (idle, on purpose): no read is awaited until `resumed`. */
  paused(): void {
    this.awaitingReadSince = undefined;
  }

  resumed(): void {
    this.awaitingReadSince ??= Date.now();
  }

  throttled(): void {
    this.throttleStreak++;
  }

  state(): ShardReadState {
    return {
      shardId: this.shardId,
      ...(this.millisBehindLatest === undefined ? {} : { millisBehindLatest: this.millisBehindLatest }),
      ...(this.lastReadAt === undefined ? {} : { lastReadAt: this.lastReadAt }),
      throttleStreak: this.throttleStreak,
      ...(this.awaitingReadSince === undefined ? {} : { awaitingReadSince: this.awaitingReadSince }),
    };
  }
}
