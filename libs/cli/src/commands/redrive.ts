/**
 * `redrive --dead-letter-stream <s> --act-stream <s>`: `redriveDeadLetters` from the command line, with
 * `--dry-run` to list what would go back without putting anything. Signing keys come from the environment
 * (`--signing-key-env`), never from the command line (process lists and shell histories show it). Every run reads
 * from `--since` or the oldest entry: a run prints where it stopped (`--after`), so the next one goes on from there
 * instead of putting the same events back again.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { isSequenceNumber } from '../../../kinesis/src/consumer/records.js';
import {
  REDRIVE_DEFAULT_MAX_RECORDS,
  REDRIVE_MAX_RECORDS,
  redriveDeadLetters,
} from '../../../transport/src/redrive.js';
import type { EventDeadLetter } from '../../../transport/src/shared/dead-letters.js';
import {
  CliUsageError,
  positiveInteger,
  timestamp,
  type ActionOf,
  type CliContext,
} from '../shared/context.js';

export function registerRedrive(program: Command, action: ActionOf): void {
  program
    .command('redrive')
    .description('put dead-lettered events back on their act stream')
    .requiredOption('--dead-letter-stream <name>', "the server's eventRetries.deadLetterStream")
    .requiredOption(
      '--act-stream <name>',
      'the act stream the events go back to (entries of others are refused)',
    )
    .option(
      '--limit <n>',
      `at most this many entries (at most ${REDRIVE_MAX_RECORDS})`,
      positiveInteger(REDRIVE_MAX_RECORDS),
      REDRIVE_DEFAULT_MAX_RECORDS,
    )
    .option('--since <iso>', 'entries dead-lettered from this time on', timestamp)
    .option(
      '--after <positions>',
      'go on where a previous run stopped: <shardId>=<sequenceNumber>,... (it prints them)',
      positions,
    )
    .option('--pattern <pattern>', 'only the entries of this pattern')
    .option('--dry-run', 'list the entries that would go back; put nothing')
    .option(
      '--signing-key-env <VAR>',
      'verify entries with the key in this environment variable (key id: --signing-key-id)',
    )
    .option('--signing-key-id <id>', 'the key id of --signing-key-env', 'default')
    .action(action(redrive));
}

interface RedriveCliOptions {
  deadLetterStream: string;
  actStream: string;
  limit: number;
  since?: Date;
  after?: Record<string, string>;
  pattern?: string;
  dryRun?: boolean;
  signingKeyEnv?: string;
  signingKeyId: string;
}

async function redrive(ctx: CliContext, command: Command): Promise<void> {
  const o = command.opts<RedriveCliOptions>();
  const wouldRedrive: Array<Omit<EventDeadLetter, 'data' | 'kind' | 'v'>> = [];
  const wanted = (entry: EventDeadLetter) => o.pattern === undefined || entry.pattern === o.pattern;
  ctx.out.progress(`reading ${o.deadLetterStream}`);
  const result = await redriveDeadLetters({
    client: ctx.kinesis,
    deadLetterStream: o.deadLetterStream,
    actStream: o.actStream,
    maxRecords: o.limit,
    since: o.since,
    after: o.after,
    signing: signing(o),
    // A dry run declines every entry (nothing is put) after noting the first `limit` it would have put back.
    filter: o.dryRun
      ? (entry) => {
          if (wanted(entry) && wouldRedrive.length < o.limit) {
            const { data: _data, kind: _kind, v: _v, ...shown } = entry;
            wouldRedrive.push(shown);
          }
          return false;
        }
      : wanted,
  });
  const report = o.dryRun
    ? { dryRun: true, wouldRedrive: wouldRedrive.length, refused: result.refused, entries: wouldRedrive }
    : { ...result };
  if (ctx.out.json) return ctx.out.document(report);
  if (o.dryRun) {
    ctx.out.table(
      ['pattern', 'id', 'attempts', 'dead-lettered at', 'from', 'error'],
      wouldRedrive.map((e) => [
        e.pattern,
        e.id,
        e.attempts,
        e.at,
        `${e.shardId}/${e.sequenceNumber}`,
        e.error,
      ]),
    );
    ctx.out.line(
      `dry run: ${wouldRedrive.length} entries would go back to ${o.actStream}; ${result.refused} refused`,
    );
  } else {
    ctx.out.line(
      `redriven ${result.redriven} events to ${o.actStream}; ${result.refused} refused, ${result.skipped} skipped`,
    );
    const after = Object.entries(result.positions).map(([shard, sequence]) => `${shard}=${sequence}`);
    if (after.length > 0) ctx.out.line(`the next run goes on with --after ${after.join(',')}`);
  }
}

/** `--after shardId-000000000000=4959...,shardId-000000000001=4960...`: the `positions` of a previous run. */
function positions(value: string): Record<string, string> {
  const entries = value.split(',').map((pair) => pair.split('='));
  if (
    !entries.every(
      ([shard, sequence, ...rest]) =>
        /^[A-Za-z0-9_.-]{1,128}$/.test(shard) && isSequenceNumber(sequence ?? '') && rest.length === 0,
    )
  )
    throw new InvalidArgumentError('expected <shardId>=<sequenceNumber>, comma-separated');
  return Object.fromEntries(entries);
}

function signing(o: RedriveCliOptions) {
  if (!o.signingKeyEnv) return undefined;
  const key = process.env[o.signingKeyEnv];
  if (!key) throw new CliUsageError(`environment variable ${o.signingKeyEnv} is not set`);
  return { keys: { [o.signingKeyId]: key } };
}
