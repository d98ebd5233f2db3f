/**
 * `tail <stream>`: reads every shard (round-robin, one GetRecords per shard per round, at most 5 rounds a second:
 * a shard's read limit), KPL aggregates split into their user records, and prints one line per record. Stops at
 * `--limit` or when every shard is read to its tip; `--follow` keeps polling until Ctrl-C. A shard read to its
 * end was closed by a reshard: the shards it lists then that tail has not seen (its children) are read from
 * their start, so a reshard during `--follow` loses nothing.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorInput,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { Option, type Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { listShards, toUserRecords, type KinesisRecord } from '../../../kinesis/src/index.js';
import { cell, cut } from '../shared/output.js';
import {
  CliUsageError,
  positiveInteger,
  timestamp,
  type ActionOf,
  type CliContext,
} from '../shared/context.js';
import { decodeRecordData } from '../shared/record-decoder.js';

const ROUND_MS = 200;
/** Reads of one shard in a row that return nothing while the shard is not at its tip (AWS skips gaps so). */
const MAX_EMPTY_READS = 20;
/** Longest pattern, id, partition key or hash key shown (Kinesis's partition key limit; records may carry more). */
const MAX_FIELD_CHARS = 256;
const DEFAULT_MAX_DATA = { line: 200, json: 4_096 };

export function registerTail(program: Command, action: ActionOf): void {
  program
    .command('tail')
    .description(
      'print the records of a stream, decoded: native envelopes, Seneca acts and replies, KPL aggregates',
    )
    .argument('<stream>', 'stream name')
    .addOption(
      new Option('--from <position>', 'where each shard starts')
        .choices(['trim-horizon', 'latest', 'at-timestamp'])
        .default('trim-horizon'),
    )
    .option('--timestamp <iso>', 'start time for --from at-timestamp', timestamp)
    .option('--limit <n>', 'stop after this many records', positiveInteger(1_000_000), 100)
    .option('--shard <id>', 'read this shard only')
    .option('--follow', 'keep reading new records (until --limit or Ctrl-C)')
    .option(
      '--max-data <chars>',
      "cut each record's data to this many characters (200; 4096 with --json)",
      positiveInteger(1 << 20),
    )
    .action(action(tail));
}

interface TailOptions {
  from: 'trim-horizon' | 'latest' | 'at-timestamp';
  timestamp?: Date;
  limit: number;
  shard?: string;
  follow?: boolean;
  maxData?: number;
}

async function tail(ctx: CliContext, command: Command): Promise<void> {
  const [stream] = command.processedArgs as [string];
  const o = command.opts<TailOptions>();
  const start = startPosition(o, command);
  const shards = (await listShards(ctx.kinesis, stream)).filter((s) => !o.shard || s.shardId === o.shard);
  if (shards.length === 0) throw new Error(`stream ${stream} has no shard ${o.shard ?? ''}`.trim());
  const iterators = new Map<string, string | undefined>();
  const seen = new Set<string>();
  const open = async (shardId: string, position: ShardPosition) => {
    seen.add(shardId);
    const { ShardIterator } = await ctx.kinesis.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ...position }),
    );
    iterators.set(shardId, ShardIterator);
  };
  for (const { shardId } of shards) await open(shardId, start);
  const maxData = o.maxData ?? (ctx.out.json ? DEFAULT_MAX_DATA.json : DEFAULT_MAX_DATA.line);
  const emptyReads = new Map<string, number>();
  let printed = 0;
  while (iterators.size > 0 && printed < o.limit && !ctx.io.signal?.aborted) {
    const round = Date.now();
    let shardEnded = false;
    for (const [shardId, iterator] of iterators) {
      if (printed >= o.limit) break;
      const page = iterator
        ? await ctx.kinesis.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(10_000, o.limit - printed) }),
          )
        : undefined;
      const records = page?.Records ?? [];
      printed += printRecords(ctx, shardId, records, o.limit - printed, maxData);
      const empty = records.length === 0 ? (emptyReads.get(shardId) ?? 0) + 1 : 0;
      emptyReads.set(shardId, empty);
      const atTip = records.length === 0 && (page?.MillisBehindLatest === 0 || empty >= MAX_EMPTY_READS);
      // A closed shard read to its end has no next iterator; an open one at its tip is done unless following.
      if (!page?.NextShardIterator) shardEnded = iterators.delete(shardId);
      else if (atTip && !o.follow) iterators.delete(shardId);
      else iterators.set(shardId, page.NextShardIterator);
    }
    if (shardEnded && !o.shard && printed < o.limit)
      for (const { shardId } of await listShards(ctx.kinesis, stream))
        if (!seen.has(shardId)) await open(shardId, { ShardIteratorType: 'TRIM_HORIZON' });
    ctx.out.progress(`${printed} records; reading ${iterators.size} of ${shards.length} shards`);
    const wait = ROUND_MS - (Date.now() - round);
    if (wait > 0 && iterators.size > 0)
      await sleep(wait, undefined, { signal: ctx.io.signal }).catch(() => undefined);
  }
  ctx.out.endProgress();
}

type ShardPosition = Omit<GetShardIteratorInput, 'StreamName' | 'ShardId'>;

function startPosition(o: TailOptions, command: Command): ShardPosition {
  const fromGiven = command.getOptionValueSource('from') === 'cli';
  if (o.timestamp && (o.from === 'at-timestamp' || !fromGiven))
    return { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: o.timestamp };
  if (o.timestamp) throw new CliUsageError('--timestamp goes with --from at-timestamp');
  if (o.from === 'at-timestamp') throw new CliUsageError('--from at-timestamp needs --timestamp <iso>');
  return { ShardIteratorType: o.from === 'latest' ? 'LATEST' : 'TRIM_HORIZON' };
}

/**
 * Prints up to `max` user records of a page; answers how many. Aggregates are split one at a time, so a page of
 * aggregates holding millions of user records costs no more than the one being printed.
 */
function printRecords(
  ctx: CliContext,
  shardId: string,
  page: _Record[],
  max: number,
  maxData: number,
): number {
  let printed = 0;
  for (const record of page) {
    for (const user of toUserRecords([record])) {
      if (printed === max) return printed;
      print(ctx, shardId, user, maxData);
      printed++;
    }
  }
  return printed;
}

function print(ctx: CliContext, shardId: string, record: KinesisRecord, maxData: number): void {
  const decoded = decodeRecordData(record.data);
  const dataText =
    typeof decoded.data === 'string' ? decoded.data : (JSON.stringify(decoded.data) ?? 'undefined');
  const { pattern, id } = decoded;
  if (ctx.out.json) {
    // Every field a record chooses is cut (a reply's id, an aggregate's keys are not bounded by Kinesis).
    const truncated = dataText.length > maxData;
    return ctx.out.jsonLine({
      shardId,
      sequenceNumber: record.sequenceNumber,
      ...(record.aggregated ? { subSequenceNumber: record.subSequenceNumber } : {}),
      aggregated: record.aggregated,
      arrival: record.approximateArrivalTimestamp.toISOString(),
      partitionKey: cut(record.partitionKey, MAX_FIELD_CHARS),
      ...(record.explicitHashKey ? { explicitHashKey: cut(record.explicitHashKey, MAX_FIELD_CHARS) } : {}),
      kind: decoded.kind,
      ...(pattern !== undefined ? { pattern: cut(pattern, MAX_FIELD_CHARS) } : {}),
      ...(id !== undefined ? { id: cut(id, MAX_FIELD_CHARS) } : {}),
      ...(decoded.problem !== undefined ? { problem: decoded.problem } : {}),
      bytes: record.data.length,
      ...(truncated ? { data: dataText.slice(0, maxData), dataTruncated: true } : { data: decoded.data }),
    });
  }
  const position = record.aggregated
    ? `${record.sequenceNumber}/${record.subSequenceNumber}`
    : record.sequenceNumber;
  const kind = decoded.problem ? `${decoded.kind}(${decoded.problem})` : decoded.kind;
  // Every field through cell(): cut, control characters replaced, so a record cannot drive the terminal.
  const fields = [shardId, position, record.approximateArrivalTimestamp.toISOString(), kind, pattern, id];
  ctx.out.line([...fields.map((f) => cell(f, MAX_FIELD_CHARS)), cell(dataText, maxData)].join('  '));
}
