/**
 * Health snapshots of ServerKinesis and ClientKinesis (their `health()`), and what is wrong with one against
 * limits: the status, each consumer's shards (lag, throttling streak) and lease share, each reply reader's
 * state. Nest-free: KinesisHealthIndicator turns a report into a Terminus result. Counts, ids, durations only.
 */
import type { Observable } from 'rxjs';
import {
  CONSUMER_HEALTH_DEFAULTS,
  consumerHealthProblems,
  shardReadProblems,
  type Consumer,
  type ConsumerHealth,
  type ConsumerHealthLimits,
  type HashKeyReaderHealth,
  type HealthProblemKind,
} from '../../../kinesis/src/index.js';
import type { ReplyHealth } from '../shared/protocol.js';
import type { KinesisStatus } from '../shared/types.js';

export interface ServerKinesisHealth {
  kind: 'server';
  /** 'disconnected' before listen() too. */
  status: KinesisStatus;
  /** One per stream the server reads (the act stream). */
  consumers: ConsumerHealth[];
}

export type ReplyReaderHealth = HashKeyReaderHealth & { stream: string };

export interface ClientKinesisHealth {
  kind: 'client';
  /** 'disconnected' before connect() too. */
  status: KinesisStatus;
  /** Calls waiting for a reply. */
  pendingCalls: number;
  /** The reply shard's reader (native: one once connected; Seneca: one per topic called). */
  replyReaders: ReplyReaderHealth[];
}

export type KinesisHealth = ServerKinesisHealth | ClientKinesisHealth;

/** Limits of KinesisHealthIndicator; each defaults to KINESIS_HEALTH_DEFAULTS. */
export type KinesisHealthThresholds = Partial<ConsumerHealthLimits>;

/**
 * The indicator's defaults: the core's (lag 30 s, 10 throttled reads in a row, no read for 60 s, 60 s below
 * the lease share).
 */
export const KINESIS_HEALTH_DEFAULTS: Readonly<ConsumerHealthLimits> = CONSUMER_HEALTH_DEFAULTS;

export interface KinesisHealthProblem {
  problem: HealthProblemKind | 'disconnected' | 'reply reader stopped';
  stream?: string;
  shardId?: string;
  detail: string;
}

/** The last status a Nest server or client emitted (theirs is a ReplaySubject(1): it answers at once). */
function currentStatus(status$: Observable<KinesisStatus>): KinesisStatus {
  let status: KinesisStatus = 'disconnected';
  status$.subscribe((s) => (status = s)).unsubscribe();
  return status;
}

export function serverHealth(
  status$: Observable<KinesisStatus>,
  consumers: ReadonlyMap<string, Consumer>,
): ServerKinesisHealth {
  return {
    kind: 'server',
    status: currentStatus(status$),
    consumers: [...consumers.values()].map((c) => c.health()),
  };
}

export function clientHealth(status$: Observable<KinesisStatus>, replies: ReplyHealth): ClientKinesisHealth {
  return {
    kind: 'client',
    status: currentStatus(status$),
    pendingCalls: replies.pendingCalls,
    replyReaders: replies.readers,
  };
}

/** What is wrong; empty when healthy. */
export function kinesisHealthProblems(
  health: KinesisHealth,
  thresholds: KinesisHealthThresholds = {},
  now = Date.now(),
): KinesisHealthProblem[] {
  const limits = { ...KINESIS_HEALTH_DEFAULTS, ...thresholds };
  const problems: KinesisHealthProblem[] = [];
  if (health.status === 'disconnected')
    problems.push({ problem: 'disconnected', detail: `${health.kind} status disconnected` });
  if (health.kind === 'server') {
    for (const consumer of health.consumers) {
      const stream = consumer.streamName;
      problems.push(...consumerHealthProblems(consumer, limits, now).map((p) => ({ stream, ...p })));
    }
    return problems;
  }
  for (const reader of health.replyReaders) {
    const { stream, shardId = 'none' } = reader;
    if (reader.state === 'stopped')
      problems.push({ problem: 'reply reader stopped', stream, shardId, detail: 'no reply is read' });
    // A stopped reader awaits no read: its stop is the problem, not a stall.
    const readerLimits = reader.state === 'stopped' ? { ...limits, maxReadGapMs: 0 } : limits;
    const readProblems = shardReadProblems({ ...reader, shardId }, readerLimits, now);
    problems.push(...readProblems.map((p) => ({ stream, ...p })));
  }
  return problems;
}
