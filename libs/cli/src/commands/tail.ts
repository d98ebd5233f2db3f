/**
 * `tail <stream>`: reads every shard (round-robin, one GetRecords per shard per round, at most 5 rounds a second:
 * a shard's read limit), KPL aggregates split into their user records, and prints one line per record. Stops at
 * `--limit` or when every shard is read to its tip; `--follow` keeps polling until Ctrl-C.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorInput,
} from '@aws-sdk/client-kinesis';
import { Option, type Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { listShards, toUserRecords, type KinesisRecord } from '../../../kinesis/src/index.js';
import { cell } from '../shared/output.js';
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
const MAX_PATTERN_CHARS = 256;
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
  for (const { shardId } of shards) {
    const { ShardIterator } = await ctx.kinesis.send(
      new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ...start }),
    );
    iterators.set(shardId, ShardIterator);
  }
  const maxData = o.maxData ?? (ctx.out.json ? DEFAULT_MAX_DATA.json : DEFAULT_MAX_DATA.line);
  const emptyReads = new Map<string, number>();
  let printed = 0;
  while (iterators.size > 0 && printed < o.limit && !ctx.io.signal?.aborted) {
    const round = Date.now();
    for (const [shardId, iterator] of iterators) {
      if (printed >= o.limit) break;
      const page = iterator
        ? await ctx.kinesis.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(10_000, o.limit - printed) }),
          )
        : undefined;
      const records = toUserRecords(page?.Records ?? []);
      for (const record of records.slice(0, o.limit - printed)) print(ctx, shardId, record, maxData);
      printed += Math.min(records.length, o.limit - printed);
      const empty = records.length === 0 ? (emptyReads.get(shardId) ?? 0) + 1 : 0;
      emptyReads.set(shardId, empty);
      const atTip = records.length === 0 && (page?.MillisBehindLatest === 0 || empty >= MAX_EMPTY_READS);
      // A closed shard read to its end has no next iterator; an open one at its tip is done unless following.
      if (!page?.NextShardIterator || (atTip && !o.follow)) iterators.delete(shardId);
      else iterators.set(shardId, page.NextShardIterator);
    }
    ctx.out.progress(`${printed} records; reading ${iterators.size} of ${shards.length} shards`);
    const wait = ROUND_MS - (Date.now() - round);
    if (wait > 0 && iterators.size > 0)
      await sleep(wait, undefined, { signal: ctx.io.signal }).catch(() => undefined);
  }
  ctx.out.endProgress();
}

function startPosition(
  o: TailOptions,
  command: Command,
): Omit<GetShardIteratorInput, 'StreamName' | 'ShardId'> {
  const fromGiven = command.getOptionValueSource('from') === 'cli';
  if (o.timestamp && (o.from === 'at-timestamp' || !fromGiven))
    return { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: o.timestamp };
  if (o.timestamp) throw new CliUsageError('--timestamp goes with --from at-timestamp');
  if (o.from === 'at-timestamp') throw new CliUsageError('--from at-timestamp needs --timestamp <iso>');
  return { ShardIteratorType: o.from === 'latest' ? 'LATEST' : 'TRIM_HORIZON' };
}

function print(ctx: CliContext, shardId: string, record: KinesisRecord, maxData: number): void {
  const decoded = decodeRecordData(record.data);
  const dataText =
    typeof decoded.data === 'string' ? decoded.data : (JSON.stringify(decoded.data) ?? 'undefined');
  const pattern = decoded.pattern === undefined ? undefined : decoded.pattern.slice(0, MAX_PATTERN_CHARS);
  if (ctx.out.json) {
    const cut = dataText.length > maxData;
    return ctx.out.jsonLine({
      shardId,
      sequenceNumber: record.sequenceNumber,
      ...(record.aggregated ? { subSequenceNumber: record.subSequenceNumber } : {}),
      aggregated: record.aggregated,
      arrival: record.approximateArrivalTimestamp.toISOString(),
      partitionKey: record.partitionKey,
      ...(record.explicitHashKey ? { explicitHashKey: record.explicitHashKey } : {}),
      kind: decoded.kind,
      ...(pattern !== undefined ? { pattern } : {}),
      ...(decoded.id !== undefined ? { id: decoded.id } : {}),
      ...(decoded.problem !== undefined ? { problem: decoded.problem } : {}),
      bytes: record.data.length,
      ...(cut ? { data: dataText.slice(0, maxData), dataTruncated: true } : { data: decoded.data }),
    });
  }
  const position = record.aggregated
    ? `${record.sequenceNumber}/${record.subSequenceNumber}`
    : record.sequenceNumber;
  const kind = decoded.problem ? `${decoded.kind}(${decoded.problem})` : decoded.kind;
  // Every field through cell(): cut, control characters replaced, so a record cannot drive the terminal.
  const fields = [
    shardId,
    position,
    record.approximateArrivalTimestamp.toISOString(),
    kind,
    pattern,
    decoded.id,
  ];
  ctx.out.line([...fields.map((f) => cell(f, MAX_PATTERN_CHARS)), cell(dataText, maxData)].join('  '));
}
