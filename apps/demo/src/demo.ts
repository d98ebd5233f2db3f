/**
 * The demo: a producer and a consumer on one stream, progress printed every second. With no
 * KINESIS_ENDPOINT (and no KINESIS_USE_AWS=true) it starts an embedded Kinesis endpoint (kinesalite) first.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Consumer,
  createKinesisClient,
  ensureStream,
  MemoryCheckpointStore,
  Producer,
  type RecordProcessor,
} from '../../../libs/kinesis/src/index.js';

export interface DemoOptions {
  signal: AbortSignal;
  print?: (line: string) => void;
  streamName?: string;
  recordsPerSecond?: number;
  /** Use this endpoint instead of KINESIS_ENDPOINT / an embedded one. */
  endpoint?: string;
}

export interface DemoResult {
  produced: number;
  consumed: number;
}

async function embeddedEndpoint(print: (line: string) => void) {
  // Development-only dependency, loaded only when no endpoint is configured.
  const { startKinesalite } = await import('../../../libs/local-aws/src/index.js');
  const kinesalite = await startKinesalite();
  print(`embedded Kinesis endpoint (kinesalite) at ${kinesalite.endpoint}`);
  return kinesalite;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const configured = options.endpoint ?? process.env.KINESIS_ENDPOINT;
  // Real AWS only on request: a stray AWS_PROFILE in a shell must not create streams in an account.
  const useAws = !configured && process.env.KINESIS_USE_AWS === 'true';
  const embedded = !configured && !useAws ? await embeddedEndpoint(print) : undefined;
  const endpoint = configured ?? embedded?.endpoint;
  if (embedded) {
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  }
  const client: KinesisClient = createKinesisClient({ endpoint });
  const streamName = options.streamName ?? process.env.DEMO_STREAM ?? 'demo-events';
  await ensureStream(client, streamName, { shardCount: 2 });
  print(
    `stream "${streamName}" is ACTIVE; producing ${options.recordsPerSecond ?? 200} records/s (Ctrl-C to stop)`,
  );

  const stats = { produced: 0, consumed: 0, lagMs: new Map<string, number | undefined>() };
  const processor = (shardId: string): RecordProcessor => ({
    initialize: () => undefined,
    processRecords: async ({ records, millisBehindLatest, checkpointer }) => {
      stats.consumed += records.length;
      stats.lagMs.set(shardId, millisBehindLatest);
      await checkpointer.checkpoint();
    },
    leaseLost: () => undefined,
    shardEnded: ({ checkpointer }) => checkpointer.checkpoint(),
    shutdownRequested: ({ checkpointer }) => checkpointer.checkpoint(),
  });
  const consumer = new Consumer({
    client,
    streamName,
    processorFactory: processor,
    checkpointStore: new MemoryCheckpointStore(),
  });
  const producer = new Producer({ client, streamName, aggregation: true });
  await consumer.start();

  const perTick = Math.max(1, Math.round((options.recordsPerSecond ?? 200) / 10));
  const produce = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      const n = stats.produced++;
      const event = { type: 'page-view', n, at: new Date().toISOString() };
      producer
        .put({ data: JSON.stringify(event), partitionKey: `user-${n % 50}` })
        .catch((e) => print(`put failed: ${e.message}`));
    }
  }, 100);
  const report = setInterval(() => {
    const lag = [...stats.lagMs].map(([shard, ms]) => `${shard.slice(-4)}:${ms ?? '-'}ms`).join(' ');
    print(`produced ${stats.produced}  consumed ${stats.consumed}  lag ${lag || '-'}`);
  }, 1_000);

  await new Promise<void>((resolve) => {
    if (options.signal.aborted) return resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(produce);
  clearInterval(report);
  print('stopping: flushing the producer, checkpointing the consumer');
  await producer.close();
  // Let the consumer catch up with what was just flushed before it stops.
  const deadline = Date.now() + 5_000;
  while (stats.consumed < stats.produced && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  await consumer.stop();
  client.destroy();
  await embedded?.stop();
  print(`done: produced ${stats.produced}, consumed ${stats.consumed}`);
  return { produced: stats.produced, consumed: stats.consumed };
}
