/** `streams create <name>` and `streams describe <name>`. */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  type Consumer,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { Command } from 'commander';
import { ensureStream, listShards, resolveShardCount } from '../../../kinesis/src/index.js';
import { CliUsageError, positiveInteger, type ActionOf, type CliContext } from '../shared/context.js';

export function registerStreams(program: Command, action: ActionOf): void {
  const streams = program.command('streams').description('create or describe a stream');
  streams
    .command('create')
    .description('create a stream (provisioned with --shards, or on-demand)')
    .argument('<name>', 'stream name')
    .option('--shards <n>', 'shard count (default AWS_KINESIS_SHARDS, else 2)', positiveInteger(100_000))
    .option('--on-demand', 'on-demand capacity mode instead of a shard count')
    .option('--wait', 'wait until the stream is ACTIVE')
    .option('--timeout <seconds>', 'bound on --wait', positiveInteger(3_600), 300)
    .action(action(create));
  streams
    .command('describe')
    .description('status, capacity mode, retention, encryption, shards with hash ranges, consumers')
    .argument('<name>', 'stream name')
    .action(action(describe));
}

interface CreateOptions {
  shards?: number;
  onDemand?: boolean;
  wait?: boolean;
  timeout: number;
}

async function create(ctx: CliContext, command: Command): Promise<void> {
  const [name] = command.processedArgs as [string];
  const o = command.opts<CreateOptions>();
  if (o.onDemand && o.shards !== undefined) throw new CliUsageError('give --shards or --on-demand, not both');
  await ctx.kinesis.send(
    new CreateStreamCommand(
      o.onDemand
        ? { StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }
        : { StreamName: name, ShardCount: resolveShardCount(o.shards) },
    ),
  );
  let status = 'CREATING';
  if (o.wait) {
    ctx.out.progress(`waiting for stream ${name} to be ACTIVE`);
    status = (await ensureStream(ctx.kinesis, name, { timeoutMs: o.timeout * 1000 })).status;
  }
  const mode = o.onDemand ? 'ON_DEMAND' : 'PROVISIONED';
  const created = {
    streamName: name,
    status,
    mode,
    ...(o.onDemand ? {} : { shards: resolveShardCount(o.shards) }),
  };
  if (ctx.out.json) ctx.out.document(created);
  else
    ctx.out.line(
      `created stream ${name} (${mode}${o.onDemand ? '' : `, ${created.shards} shards`}): ${status}`,
    );
}

async function describe(ctx: CliContext, command: Command): Promise<void> {
  const [name] = command.processedArgs as [string];
  const description = await describeStream(ctx.kinesis, name);
  if (ctx.out.json) return ctx.out.document(description);
  const { shards, consumers, ...summary } = description;
  const open = shards.filter((s) => s.open).length;
  ctx.out.table(
    ['field', 'value'],
    [
      ['stream', summary.streamName],
      ['arn', summary.streamArn],
      ['status', summary.status],
      ['mode', summary.mode],
      ['retention', `${summary.retentionHours} h`],
      ['encryption', summary.keyId ? `${summary.encryption} (key ${summary.keyId})` : summary.encryption],
      ['max record', summary.maxRecordSizeKiB === undefined ? undefined : `${summary.maxRecordSizeKiB} KiB`],
      ['created', summary.created],
      ['shards', `${open} open, ${shards.length - open} closed`],
      ['consumers', consumers === undefined ? 'not listed by this endpoint' : consumers.length],
    ],
  );
  ctx.out.line('');
  ctx.out.table(
    ['shard', 'state', 'parents', 'starting hash key', 'ending hash key'],
    shards.map((s) => [
      s.shardId,
      s.open ? 'open' : 'closed',
      s.parentShardIds.join(',') || '-',
      s.startingHashKey,
      s.endingHashKey,
    ]),
  );
  if (consumers?.length) {
    ctx.out.line('');
    ctx.out.table(
      ['consumer', 'status', 'created'],
      consumers.map((c) => [c.name, c.status, c.created]),
    );
  }
}

async function describeStream(client: KinesisClient, name: string) {
  const { StreamDescriptionSummary: s } = await client.send(
    new DescribeStreamSummaryCommand({ StreamName: name }),
  );
  const shards = await listShards(client, name);
  return {
    streamName: s?.StreamName ?? name,
    streamArn: s?.StreamARN,
    status: s?.StreamStatus,
    // Endpoints that predate on-demand streams (kinesalite) do not say: every stream there is provisioned.
    mode: s?.StreamModeDetails?.StreamMode ?? 'PROVISIONED',
    retentionHours: s?.RetentionPeriodHours,
    encryption: s?.EncryptionType ?? 'NONE',
    keyId: s?.KeyId,
    maxRecordSizeKiB: s?.MaxRecordSizeInKiB,
    created: s?.StreamCreationTimestamp?.toISOString(),
    consumerCount: s?.ConsumerCount,
    shards: shards.map((shard) => ({
      shardId: shard.shardId,
      open: shard.endingSequenceNumber === undefined,
      parentShardIds: shard.parentShardIds,
      startingHashKey: shard.startingHashKey,
      endingHashKey: shard.endingHashKey,
    })),
    consumers: s?.StreamARN ? await listConsumers(client, s.StreamARN) : undefined,
  };
}

/** Enhanced fan-out consumers; undefined where the endpoint has no such operation (kinesalite). */
async function listConsumers(client: KinesisClient, streamArn: string) {
  const consumers: Consumer[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await client.send(
        new ListStreamConsumersCommand({ StreamARN: streamArn, NextToken: nextToken }),
      );
      consumers.push(...(page.Consumers ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
  } catch (error) {
    if ((error as Error)?.name === 'UnknownOperationException') return undefined;
    throw error;
  }
  return consumers.map((c) => ({
    name: c.ConsumerName,
    arn: c.ConsumerARN,
    status: c.ConsumerStatus,
    created: c.ConsumerCreationTimestamp?.toISOString(),
  }));
}
