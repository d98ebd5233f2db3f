/** Consume any stream (`streams`), on kinesalite: object patterns, and records whose keys Kinesis would refuse. */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate, ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import { ServerKinesis, type EventDeadLetter, type StreamRecord } from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import {
  keyOf,
  readDeadLetters,
  seen,
  seenOf,
  StreamsModule,
  type Seen,
} from './consume-streams-fixtures.js';
import { startMicroservice, type RunningService } from './fixtures.js';

/** A DynamoDB change as an object pattern, for @EventPattern({ table, event }); the record chooses both. */
function changeAsObjectPattern(record: StreamRecord) {
  const change = JSON.parse(record.data.toString('utf8')) as { table: string; event: string; id: string };
  return { pattern: { table: change.table, event: change.event }, data: { id: change.id } };
}

describe('consume any stream: object patterns and hostile records on kinesalite', () => {
  const [actStream, resStream] = [uniqueName('act'), uniqueName('res')];
  const [deadLetterStream, clicks, cdc] = [uniqueName('dlq'), uniqueName('clicks'), uniqueName('cdc')];
  let admin: KinesisClient;
  let service: RunningService | undefined;

  const deadLetters = () => readDeadLetters(admin, deadLetterStream);
  const put = async (streamName: string, partitionKey: string, data: Buffer | object) => {
    const Data = Buffer.isBuffer(data) ? data : Buffer.from(JSON.stringify(data));
    const out = await admin.send(
      new PutRecordsCommand({ StreamName: streamName, Records: [{ PartitionKey: partitionKey, Data }] }),
    );
    expect(out.FailedRecordCount ?? 0).toBe(0);
  };

  beforeAll(async () => {
    admin = kinesisClient('kinesalite');
    for (const name of [actStream, resStream, deadLetterStream, clicks, cdc])
      await ensureStream(admin, name, { shardCount: 1 });
    const server = new ServerKinesis({
      endpoint: kinesisEndpoint('kinesalite'),
      region: 'us-east-1',
      actStream,
      resStream,
      pollIntervalMs: 20,
      logger: silentLogger,
      eventRetries: { attempts: 1, backoff: { baseMs: 5, maxMs: 20 }, deadLetterStream },
      streams: [
        { name: clicks, pattern: 'clickstream' },
        { name: cdc, deserializer: changeAsObjectPattern },
      ],
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
    await put(clicks, 'agg', aggregated);
    // Without a valid key for the dead-letter record, its write failed on every retry: the shard waited for good.
    await eventually(() => seen.some((s) => keyOf(s) === 'after'), { message: 'the record after them' });
    const entries = (await deadLetters()).filter((d) => d.stream === clicks);
    const keyOfEntry = (d: EventDeadLetter) => JSON.parse(Buffer.from(d.data, 'base64').toString('utf8')).key;
    expect(entries.map(keyOfEntry)).toEqual(['long-key', 'empty-key']);
    for (const entry of entries) {
      expect(entry.partitionKey).toMatch(/^[0-9a-f]{64}$/); // the refused key's digest
      expect(entry).toMatchObject({ origin: 'stream', pattern: 'clickstream', attempts: 1 });
    }
  });

  it('dead-letters a failing record too large for one dead-letter record (900 KB: base64 past 1 MiB) in parts that join to its bytes', async () => {
    const big = Buffer.from(JSON.stringify({ key: 'big', fail: true, pad: 'p'.repeat(900_000) }));
    await put(clicks, 'big-one', big);
    await put(clicks, 'small-one', { key: 'after-big' });
    // Without parts, the dead-letter write was refused (over 1 MiB) on every retry: the shard waited for good.
    await eventually(() => seen.some((s) => keyOf(s) === 'after-big'), { message: 'the record after it' });
    const parts = (await deadLetters()).filter((d) => d.stream === clicks && d.partitionKey === 'big-one');
    expect(parts.map((d) => [d.part, d.parts])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(Buffer.from(parts.map((d) => d.data).join(''), 'base64').equals(big)).toBe(true);
    expect(parts[0]).toMatchObject({
      origin: 'stream',
      pattern: 'clickstream',
      sequenceNumber: parts[1].sequenceNumber,
    });
  });

  it("hands a deserializer's object pattern to @EventPattern({ ... }) (any key order); one past 1024 characters is invalid", async () => {
    const invalidBefore = service!.server.stats.invalid;
    await put(cdc, 'o-1', { event: 'MODIFY', table: 'orders', id: 'o-1' });
    await put(cdc, 'o-2', { event: 'MODIFY', table: 'x'.repeat(2_000), id: 'o-2' });
    await put(cdc, 'o-3', { event: 'MODIFY', table: 'orders', id: 'o-3' });
    // Without routing objects as Nest does, each of these was invalid: dead-lettered, never handled.
    await eventually(() => seenOf('orders/MODIFY').length === 2, { message: 'both orders changes' });
    const [first]: Seen[] = seenOf('orders/MODIFY');
    expect(first).toMatchObject({ data: { id: 'o-1' }, stream: cdc });
    expect(seenOf('orders/MODIFY').map((s) => (s.data as { id: string }).id)).toEqual(['o-1', 'o-3']);
    await eventually(async () => (await deadLetters()).some((d) => d.stream === cdc));
    const entries = (await deadLetters()).filter((d) => d.stream === cdc);
    expect(entries.map((d) => d.partitionKey)).toEqual(['o-2']); // the 2,000-character table
    expect(service!.server.stats.invalid).toBe(invalidBefore + 1);
  });
});
