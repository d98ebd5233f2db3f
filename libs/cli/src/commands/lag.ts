/**
 * `lag <app> --stream <s>`: per shard, the application's checkpoint and what is behind it. Counted, not
 * estimated: the records after the checkpoint are read (GetRecords at AFTER_SEQUENCE_NUMBER, up to
 * `--count-limit` a shard), giving how many are unread and when the oldest arrived; the first read's
 * MillisBehindLatest is shown as Kinesis reports it (0 on kinesalite, which does not compute it). A shard
 * without a checkpoint counts from the trim horizon, where the consumer starts by default. A KPL aggregate counts
 * as one record; like the consumer, the count starts AT the checkpoint's record, which counts when it is an
 * aggregate with user records after the checkpoint's sub-sequence number.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import type { Command } from 'commander';
import {
  comparePositions,
  LATEST,
  listShards,
  SHARD_END,
  toUserRecords,
  TRIM_HORIZON,
  type Checkpoint,
} from '../../../kinesis/src/index.js';
import { isSequenceNumber } from '../../../kinesis/src/consumer/records.js';
import {
  checkpointSource,
  formatCheckpoint,
  type CheckpointSourceOptions,
} from '../shared/checkpoint-source.js';
import { positiveInteger, type ActionOf, type CliContext } from '../shared/context.js';

const MAX_EMPTY_READS = 20;

export function registerLag(program: Command, action: ActionOf): void {
  program
    .command('lag')
    .description("per shard, an application's checkpoint and the records behind it")
    .argument('<app>', 'the application name (appName of its checkpoint store or leases)')
    .requiredOption('--stream <name>', 'the stream it consumes')
    .option('--checkpoints <where>', 'dynamodb (default: its lease table), dynamodb:<table> or redis:<url>')
    .option('--leases <table>', 'read checkpoints and owners from this lease table')
    .option('--key-prefix <prefix>', "RedisCheckpointStore's keyPrefix")
    .option(
      '--count-limit <n>',
      'count at most this many unread records a shard',
      positiveInteger(1_000_000),
      10_000,
    )
    .action(action(lag));
}

interface LagOptions extends CheckpointSourceOptions {
  stream: string;
  countLimit: number;
}

export interface ShardLag {
  shardId: string;
  owner?: string;
  checkpoint?: string;
  state: 'finished' | 'caught-up' | 'behind';
  /** Records after the checkpoint (a lower bound when `unreadCapped`). */
  unread: number;
  unreadCapped: boolean;
  /** The checkpoint's record is no longer in the stream (past retention): counted from the trim horizon. */
  checkpointAgedOut?: true;
  oldestUnreadArrival?: string;
  millisBehindLatest?: number;
}

async function lag(ctx: CliContext, command: Command): Promise<void> {
  const [app] = command.processedArgs as [string];
  const o = command.opts<LagOptions>();
  const source = checkpointSource(ctx, app, o.stream, o);
  try {
    const shards = await listShards(ctx.kinesis, o.stream);
    const checkpoints = await source.read(shards.map((s) => s.shardId));
    const rows: ShardLag[] = [];
    for (const { shardId } of shards) {
      ctx.out.progress(`counting unread records of ${shardId}`);
      const { checkpoint, owner } = checkpoints.get(shardId) ?? {};
      rows.push({
        shardId,
        ...(owner ? { owner } : {}),
        ...(checkpoint ? { checkpoint: formatCheckpoint(checkpoint) } : {}),
        ...(await unreadAfter(ctx.kinesis, o.stream, shardId, checkpoint, o.countLimit)),
      });
    }
    const unread = rows.reduce((sum, r) => sum + r.unread, 0);
    if (ctx.out.json)
      return ctx.out.document({ app, stream: o.stream, source: source.name, unread, shards: rows });
    ctx.out.table(
      ['shard', 'owner', 'checkpoint', 'state', 'unread', 'oldest unread', 'ms behind'],
      rows.map((r) => [
        r.shardId,
        r.owner,
        r.checkpoint ? `${r.checkpoint}${r.checkpointAgedOut ? ' (aged out)' : ''}` : '(none)',
        r.state,
        `${r.unread}${r.unreadCapped ? '+' : ''}`,
        r.oldestUnreadArrival,
        r.millisBehindLatest,
      ]),
    );
    ctx.out.line(`${unread} unread records on ${rows.length} shards (checkpoints: ${source.name})`);
  } finally {
    await source.close();
  }
}

async function unreadAfter(
  client: KinesisClient,
  stream: string,
  shardId: string,
  checkpoint: Checkpoint | undefined,
  countLimit: number,
): Promise<Omit<ShardLag, 'shardId' | 'owner' | 'checkpoint'>> {
  const at = checkpoint?.sequenceNumber;
  if (at === SHARD_END) return { state: 'finished', unread: 0, unreadCapped: false };
  // A lease's initial position (TRIM_HORIZON, LATEST, AT_TIMESTAMP) is where it will start; no timestamp is kept.
  const position =
    at === LATEST
      ? ({ ShardIteratorType: 'LATEST' } as const)
      : at === undefined || at === TRIM_HORIZON || !isSequenceNumber(at)
        ? ({ ShardIteratorType: 'TRIM_HORIZON' } as const)
        : ({ ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: at } as const);
  const iteratorAt = async (at: typeof position | { ShardIteratorType: 'TRIM_HORIZON' }) =>
    (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ...at })))
      .ShardIterator;
  let checkpointAgedOut: true | undefined;
  let iterator = await iteratorAt(position).catch((error: unknown) => {
    // As the consumer does (checkpointAgedOut): Kinesis refuses a position it no longer has; read from the start.
    if (
      position.ShardIteratorType !== 'AT_SEQUENCE_NUMBER' ||
      (error as Error)?.name !== 'InvalidArgumentException'
    )
      throw error;
    checkpointAgedOut = true;
    return iteratorAt({ ShardIteratorType: 'TRIM_HORIZON' });
  });
  let unread = 0;
  let oldest: Date | undefined;
  let millisBehindLatest: number | undefined;
  for (let empty = 0; iterator && unread < countLimit && empty < MAX_EMPTY_READS;) {
    const page = await client.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(10_000, countLimit - unread) }),
    );
    const records = (page.Records ?? []).filter((r) => !processedAt(r, checkpoint));
    millisBehindLatest ??= page.MillisBehindLatest;
    oldest ??= records[0]?.ApproximateArrivalTimestamp;
    unread += records.length;
    iterator = page.NextShardIterator;
    empty = page.Records?.length ? 0 : empty + 1;
    if (!page.Records?.length && page.MillisBehindLatest === 0) break; // at the tip
  }
  return {
    state: unread === 0 ? 'caught-up' : 'behind',
    unread,
    unreadCapped: unread >= countLimit,
    ...(checkpointAgedOut ? { checkpointAgedOut } : {}),
    ...(oldest ? { oldestUnreadArrival: oldest.toISOString() } : {}),
    ...(millisBehindLatest !== undefined ? { millisBehindLatest } : {}),
  };
}

/** Whether `record` is the checkpoint's own record with nothing after the checkpoint in it (a plain record, or an
 * aggregate read up to its last user record). */
function processedAt(record: _Record, checkpoint: Checkpoint | undefined): boolean {
  if (!checkpoint || record.SequenceNumber !== checkpoint.sequenceNumber) return false;
  return toUserRecords([record]).every((user) => comparePositions(user, checkpoint) <= 0);
}
