/**
 * `leases <app> --stream <s>`: the lease table as `LeaseTable` reads it: per shard the owner (and, during a
 * handoff, the worker handing it over), counter, checkpoint; per worker its share of the workable leases. The
 * table keeps no renewal time (the KCL's format: workers judge expiry by watching counters on their own clock),
 * so `--sample <ms>` does the same: it reads the table twice and shows which leases were renewed in between.
 */
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  leaseAssignment,
  leaseTableName,
  LeaseTable,
  SHARD_END,
  type Lease,
} from '../../../kinesis/src/index.js';
import { formatCheckpoint } from '../shared/checkpoint-source.js';
import { positiveInteger, type ActionOf, type CliContext } from '../shared/context.js';

export function registerLeases(program: Command, action: ActionOf): void {
  program
    .command('leases')
    .description("an application's leases: owners, counters, checkpoints, and each worker's share")
    .argument('<app>', 'the application name (appName of its leases)')
    .requiredOption('--stream <name>', 'the stream it consumes')
    .option('--table <name>', 'the lease table (default <app>-<stream>)')
    .option(
      '--sample <ms>',
      'read twice this far apart to see which leases are being renewed',
      positiveInteger(600_000),
    )
    .action(action(leases));
}

interface LeasesOptions {
  stream: string;
  table?: string;
  sample?: number;
}

async function leases(ctx: CliContext, command: Command): Promise<void> {
  const [app] = command.processedArgs as [string];
  const o = command.opts<LeasesOptions>();
  const table = new LeaseTable({
    client: ctx.dynamo,
    tableName: o.table ?? leaseTableName(app, o.stream),
    createTable: false,
  });
  let current = await table.list();
  let renewed: Set<string> | undefined;
  if (o.sample) {
    ctx.out.progress(`watching the lease counters for ${o.sample} ms`);
    const before = new Map(current.map((l) => [l.leaseKey, l.leaseCounter]));
    await sleep(o.sample, undefined, { signal: ctx.io.signal }).catch(() => undefined);
    current = await table.list();
    renewed = new Set(
      current.filter((l) => before.get(l.leaseKey) !== l.leaseCounter).map((l) => l.leaseKey),
    );
  }
  const view = summarize(
    current.sort((a, b) => a.leaseKey.localeCompare(b.leaseKey)),
    renewed,
  );
  if (ctx.out.json)
    return ctx.out.document({ app, stream: o.stream, table: table.tableName, sampledMs: o.sample, ...view });
  ctx.out.table(
    [
      'shard',
      'owner',
      'handing over to',
      'counter',
      'checkpoint',
      'owner switches',
      'parents',
      ...(renewed ? ['renewed'] : []),
    ],
    view.leases.map((l) => [
      l.shardId,
      l.owner,
      l.handingOverTo,
      l.counter,
      l.checkpoint,
      l.ownerSwitchesSinceCheckpoint,
      l.parentShardIds.join(',') || '-',
      ...(renewed ? [l.renewed ? 'yes' : 'no'] : []),
    ]),
  );
  ctx.out.line('');
  ctx.out.table(
    ['worker', 'leases', 'share', ...(renewed ? ['renewed'] : [])],
    view.workers.map((w) => [w.worker, w.leases, `${w.sharePercent}%`, ...(renewed ? [w.renewed] : [])]),
  );
  ctx.out.line(
    `${view.leases.length} leases in ${table.tableName}: ${view.workable} workable, ${view.unowned} unowned, ${view.handoffs} being handed over, ${view.finished} finished`,
  );
}

/** The leases for output; workers and their shares as the balancer counts them (`leaseAssignment`). */
function summarize(all: Lease[], renewed: Set<string> | undefined) {
  const leases = all.map((l) => ({
    shardId: l.leaseKey,
    // Who reads the shard now: during a handoff the worker handing it over (checkpointOwner).
    owner: l.checkpointOwner ?? l.leaseOwner,
    ...(l.checkpointOwner ? { handingOverTo: l.leaseOwner } : {}),
    counter: l.leaseCounter,
    checkpoint: l.checkpoint && formatCheckpoint(l.checkpoint),
    ownerSwitchesSinceCheckpoint: l.ownerSwitchesSinceCheckpoint,
    parentShardIds: l.parentShardIds,
    ...(renewed ? { renewed: renewed.has(l.leaseKey) } : {}),
  }));
  const { owners, free, handoffs } = leaseAssignment(all);
  const workable = free.length + Object.values(owners).reduce((sum, held) => sum + held.length, 0);
  const workers = Object.entries(owners)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([worker, held]) => ({
      worker,
      leases: held.length,
      sharePercent: Math.round((held.length / workable) * 100),
      ...(renewed ? { renewed: held.filter((key) => renewed.has(key)).length } : {}),
    }));
  return {
    leases,
    workers,
    workable,
    unowned: free.length,
    handoffs: handoffs.length,
    finished: all.filter((l) => l.checkpoint?.sequenceNumber === SHARD_END).length,
  };
}
