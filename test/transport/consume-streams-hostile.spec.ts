/** Consume any stream (`streams`): records whose fields Kinesis itself would refuse, on kinesalite. */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate, ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import { ServerKinesis, type EventDeadLetter } from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { readStream } from '../support/stream-reader.js';
import { keyOf, seen, StreamsModule } from './consume-streams-fixtures.js';
import { startMicroservice, type RunningService } from './fixtures.js';

describe('consume any stream: hostile records on kinesalite', () => {
  const [actStream, resStream] = [uniqueName('act'), uniqueName('res')];
  const [deadLetterStream, clicks] = [uniqueName('dlq'), uniqueName('clicks')];
  let admin: KinesisClient;
  let service: RunningService | undefined;

  const deadLetters = async (): Promise<EventDeadLetter[]> =>
    (await readStream(admin, deadLetterStream))
      .flatMap((shard) => shard.records)
      .map((r) => JSON.parse(r.data.toString('utf8')));

  beforeAll(async () => {
    admin = kinesisClient('kinesalite');
    for (const name of [actStream, resStream, deadLetterStream, clicks])
      await ensureStream(admin, name, { shardCount: 1 });
    const server = new ServerKinesis({
      endpoint: kinesisEndpoint('kinesalite'),
      region: 'us-east-1',
      actStream,
      resStream,
      pollIntervalMs: 20,
      logger: silentLogger,
      eventRetries: { attempts: 1, backoff: { baseMs: 5, maxMs: 20 }, deadLetterStream },
      streams: [{ name: clicks, pattern: 'clickstream' }],
    });
    service = await startMicroservice(StreamsModule, server);
  });
  afterAll(async () => {
    await service?.close();
    admin?.destroy();
  });

  it('dead-letters a failing KPL user record whose partition key Kinesis refuses (empty, 300 characters), and goes on', async () => {
    const longKey = 'k'.repeat(300);
    const aggregated = aggregate([
      { partitionKey: longKey, data: Buffer.from(JSON.stringify({ key: 'long-key', fail: true })) },
      { partitionKey: '', data: Buffer.from(JSON.stringify({ key: 'empty-key', fail: true })) },
      { partitionKey: 'fine', data: Buffer.from(JSON.stringify({ key: 'after' })) },
    ]);
    const put = await admin.send(
      new PutRecordsCommand({ StreamName: clicks, Records: [{ PartitionKey: 'agg', Data: aggregated }] }),
    );
    expect(put.FailedRecordCount ?? 0).toBe(0);
    // Without a valid key for the dead-letter record, its write failed on every retry: the shard waited for good.
    await eventually(() => seen.some((s) => keyOf(s) === 'after'), { message: 'the record after them' });
    const entries = (await deadLetters()).filter((d) => d.stream === clicks);
    const keyOfEntry = (d: EventDeadLetter) => JSON.parse(Buffer.from(d.data, 'base64').toString('utf8')).key;
    expect(entries.map(keyOfEntry)).toEqual(['long-key', 'empty-key']);
    for (const entry of entries) {
      expect(entry.partitionKey).toMatch(/^[0-9a-f]{64}$/); // the refused key's digest
      expect(entry).toMatchObject({ origin: 'stream', pattern: 'clickstream', attempts: 1 });
    }
    expect(service!.server.stats.eventsDeadLettered).toBe(2);
  });
});
