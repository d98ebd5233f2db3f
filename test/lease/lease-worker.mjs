/**
 * One consumer instance with leases, as a child process the failover suite can SIGKILL. Plain JavaScript,
 * no build step: it imports the Kinesis core from the directory KINESIS_LIB (transpiled by worker-process.ts,
 * or dist/libs/kinesis/src after `npm run build`).
 *
 * Reports on stdout, one JSON object a line (stdout on a pipe is synchronous on Linux: a line printed before
 * a kill is a line the parent reads):
 *   { event: 'records', shardId, datas }   a batch handled, printed BEFORE its checkpoint
 *   { event: 'checkpointed', shardId }     that batch's checkpoint stored
 *   { event: 'leaseTaken' | 'leaseLost' | 'leaseHandedOver', shardId }
 *   { event: 'started', workerId } / { event: 'error', message }
 * CHECKPOINT_DELAY_MS holds each batch that long between handling and checkpointing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
// Only the modules needed (not index.js): unrelated work in progress elsewhere in the core cannot break this.
const lib = env('KINESIS_LIB');
const { Consumer } = await import(`${lib}/consumer/consumer.js`);
const { createKinesisClient } = await import(`${lib}/client.js`);
const { silentLogger } = await import(`${lib}/logger.js`);
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const checkpointDelayMs = Number(process.env.CHECKPOINT_DELAY_MS ?? 0);
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const consumer = new Consumer({
  client: createKinesisClient({ endpoint: env('KINESIS_ENDPOINT'), region: 'us-east-1', credentials }),
  streamName: env('STREAM_NAME'),
  pollIntervalMs: 50,
  maxRecordsPerCall: Number(process.env.MAX_RECORDS ?? 25),
  logger: silentLogger,
  leases: {
    dynamoClient: new DynamoDBClient({ endpoint: env('DYNAMO_ENDPOINT'), region: 'us-east-1', credentials }),
    appName: env('APP_NAME'),
    workerId: env('WORKER_ID'),
    failoverTimeMs: Number(env('FAILOVER_MS')),
    takeIntervalMs: Number(env('TAKE_INTERVAL_MS')),
  },
  processorFactory: (shardId) => ({
    initialize: () => undefined,
    processRecords: async ({ records, checkpointer }) => {
      say({ event: 'records', shardId, datas: records.map((r) => r.data.toString()) });
      await new Promise((r) => setTimeout(r, checkpointDelayMs)); // widens the window a kill can land in
      await checkpointer.checkpoint();
      say({ event: 'checkpointed', shardId });
    },
    leaseLost: () => undefined,
    shardEnded: ({ checkpointer }) => checkpointer.checkpoint(),
    shutdownRequested: ({ checkpointer }) => checkpointer.checkpoint(),
  }),
});
for (const event of ['leaseTaken', 'leaseLost', 'leaseHandedOver']) {
  consumer.on(event, (shardId) => say({ event, shardId }));
}
consumer.on('error', (error) => say({ event: 'error', message: String(error?.message ?? error) }));
process.once('SIGTERM', () => void consumer.stop().then(() => process.exit(0)));
await consumer.start();
say({ event: 'started', workerId: consumer.workerId });
