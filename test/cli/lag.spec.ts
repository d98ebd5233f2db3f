/**
 * `lag` after a real Consumer checkpointed part of each shard: against its DynamoDB checkpoint table and against
 * Redis, the counts behind each checkpoint are the records the consumer saw after it.
 */
import {
  Consumer,
  DynamoDBCheckpointStore,
  ensureStream,
  silentLogger,
  type CheckpointStore,
  type KinesisRecord,
  type RecordProcessorFactory,
} from '../../libs/kinesis/src/index.js';
import { RedisCheckpointStore } from '../../libs/kinesis/src/checkpoint/redis-store.js';
import { dynamoClient, eventually, kinesisClient, redisUrl, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { cli } from './cli-harness.js';

const RECORDS = 24;
const CHECKPOINT_AT = 4; // each shard is checkpointed at its 4th record, never after

/** Records every record per shard; checkpoints at the shard's CHECKPOINT_AT-th record only. */
function checkpointingPart(seen: Map<string, KinesisRecord[]>): RecordProcessorFactory {
  return (shardId) => ({
    initialize: () => undefined,
    processRecords: async ({ records, checkpointer }) => {
      for (const record of records) {
        const list = seen.get(shardId) ?? [];
        seen.set(shardId, [...list, record]);
        if (list.length + 1 === CHECKPOINT_AT) await checkpointer.checkpoint(record);
      }
    },
    leaseLost: () => undefined,
    shardEnded: () => undefined,
    shutdownRequested: () => undefined,
  });
}

const stores = {
  dynamodb: (app: string) => ({
    store: new DynamoDBCheckpointStore({ client: dynamoClient(), appName: app }) as CheckpointStore,
    args: [] as string[],
    source: (stream: string) => `dynamodb:${app}-${stream}`,
  }),
  redis: (app: string) => ({
    store: new RedisCheckpointStore({ url: redisUrl(), appName: app }) as CheckpointStore,
    args: ['--checkpoints', `redis:${redisUrl()}`],
    source: () => 'redis',
  }),
};

describe.each(Object.keys(stores) as Array<keyof typeof stores>)('cli: lag (%s checkpoints)', (kind) => {
  const kinesis = kinesisClient('kinesalite');
  const stream = uniqueName('cli-lag');
  const app = uniqueName('lag-app');
  const { store, args, source } = stores[kind](app);
  const seen = new Map<string, KinesisRecord[]>();

  beforeAll(async () => {
    await ensureStream(kinesis, stream, { shardCount: 2 });
    await putRaw(
      kinesis,
      stream,
      Array.from({ length: RECORDS }, (_, i) => ({ data: `r${i}`, key: `key-${i}` })),
    );
    const consumer = new Consumer({
      client: kinesis,
      streamName: stream,
      processorFactory: checkpointingPart(seen),
      checkpointStore: store,
      pollIntervalMs: 50,
      logger: silentLogger,
    });
    await consumer.start();
    await eventually(() => [...seen.values()].flat().length === RECORDS, { message: 'every record read' });
    await consumer.stop();
  });
  afterAll(async () => {
    await store.close?.();
    kinesis.destroy();
  });

  it('counts per shard the records after the checkpoint', async () => {
    const result = await cli(['--json', 'lag', app, '--stream', stream, ...args]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(result.stdout);
    const expected = [...seen.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([shardId, records]) =>
        records.length >= CHECKPOINT_AT
          ? {
              shardId,
              checkpoint: records[CHECKPOINT_AT - 1].sequenceNumber,
              state: records.length > CHECKPOINT_AT ? 'behind' : 'caught-up',
              unread: records.length - CHECKPOINT_AT,
              unreadCapped: false,
              ...(records.length > CHECKPOINT_AT
                ? { oldestUnreadArrival: records[CHECKPOINT_AT].approximateArrivalTimestamp.toISOString() }
                : {}),
            }
          : { shardId, state: 'behind', unread: records.length, unreadCapped: false },
      );
    expect(report).toMatchObject({ app, stream, source: source(stream) });
    expect(report.shards).toMatchObject(expected);
    expect(report.unread).toBe(expected.reduce((sum, s) => sum + s.unread, 0));
    expect(report.unread).toBeGreaterThan(0);
  });

  it('prints a table and a total for people', async () => {
    const result = await cli(['lag', app, '--stream', stream, ...args]);
    expect(result.code).toBe(0);
    expect(result.lines[0].split('\t')).toEqual([
      'shard',
      'owner',
      'checkpoint',
      'state',
      'unread',
      'oldest unread',
      'ms behind',
    ]);
    expect(result.lines).toHaveLength(4);
    expect(result.lines[3]).toMatch(
      new RegExp(`^\\d+ unread records on 2 shards \\(checkpoints: ${source(stream)}\\)$`),
    );
  });

  it('caps the count with --count-limit', async () => {
    const report = JSON.parse(
      (await cli(['--json', 'lag', app, '--stream', stream, '--count-limit', '1', ...args])).stdout,
    );
    expect(report.shards.every((s: any) => s.unread <= 1)).toBe(true);
    expect(report.shards.some((s: any) => s.unreadCapped)).toBe(true);
  });
});

describe('cli: lag usage', () => {
  it('refuses an unknown checkpoint source and two at once (exit code 2)', async () => {
    expect(await cli(['lag', 'app', '--stream', 's', '--checkpoints', 'files:/tmp'])).toMatchObject({
      code: 2,
      stderr: 'error: --checkpoints takes dynamodb, dynamodb:<table> or redis:<url>\n',
    });
    expect(
      (await cli(['lag', 'app', '--stream', 's', '--checkpoints', 'dynamodb', '--leases', 't'])).code,
    ).toBe(2);
    expect((await cli(['lag', 'app'])).code).toBe(2); // --stream is required
  });

  it('a missing table is an operational error (exit code 1) naming it', async () => {
    const [app, stream] = [uniqueName('no-app'), uniqueName('cli-lag')];
    const kinesis = kinesisClient('kinesalite');
    await ensureStream(kinesis, stream, { shardCount: 1 });
    kinesis.destroy();
    const result = await cli(['lag', app, '--stream', stream]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${app}-${stream}`);
    expect(result.stderr).toContain('ResourceNotFoundException');
    expect(result.stderr.split('\n')).toHaveLength(2);
  });
});
