/** KPL aggregates through the Consumer: sub-records, a corrupt aggregate, and a restart inside an aggregate. */
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import {
  aggregate,
  Consumer,
  ensureStream,
  MemoryCheckpointStore,
  silentLogger,
} from '../../libs/kinesis/src/index.js';
import { eventually, KINESIS_EMULATORS, kinesisClient, uniqueName } from '../support/harness.js';
import { Recorder } from '../support/recording-processor.js';

const userRecords = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ data: Buffer.from(`${tag}:${i}`), partitionKey: `key-${i % 3}` }));

describe.each(KINESIS_EMULATORS)('deaggregation on %s', (emulator) => {
  let client: KinesisClient;
  beforeAll(() => (client = kinesisClient(emulator)));
  afterAll(() => client.destroy());

  async function putAggregate(streamName: string, data: Buffer) {
    return client.send(new PutRecordCommand({ StreamName: streamName, Data: data, PartitionKey: 'agg' }));
  }

  it('delivers sub-records with their keys and sub-sequence numbers; a corrupt aggregate as one record', async () => {
    const streamName = uniqueName('deagg');
    await ensureStream(client, streamName, { shardCount: 1 });
    const good = await putAggregate(streamName, aggregate(userRecords(10, 'a')));
    const corrupt = aggregate(userRecords(3, 'b'));
    corrupt[corrupt.length - 1] ^= 0xff; // breaks the MD5 trailer
    await putAggregate(streamName, corrupt);

    const recorder = new Recorder();
    const consumer = new Consumer({
      client,
      streamName,
      processorFactory: recorder.factory(),
      pollIntervalMs: 50,
      logger: silentLogger,
    });
    await consumer.start();
    await eventually(() => recorder.records.length >= 11);
    await consumer.stop();

    expect(recorder.records).toHaveLength(11);
    const subs = recorder.records.slice(0, 10);
    expect(subs.map((r) => r.data.toString())).toEqual(userRecords(10, 'a').map((r) => r.data.toString()));
    expect(subs.map((r) => r.partitionKey)).toEqual(userRecords(10, 'a').map((r) => r.partitionKey));
    expect(subs.map((r) => r.subSequenceNumber)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(subs.map((r) => r.sequenceNumber))).toEqual(new Set([good.SequenceNumber]));
    expect(subs.every((r) => r.aggregated)).toBe(true);
    const plain = recorder.records[10];
    expect(plain).toMatchObject({ aggregated: false, partitionKey: 'agg', subSequenceNumber: 0 });
    expect(plain.data.equals(corrupt)).toBe(true);
  });

  it('resumes inside an aggregate after a checkpoint on one of its sub-records', async () => {
    const streamName = uniqueName('deagg-resume');
    await ensureStream(client, streamName, { shardCount: 1 });
    await putAggregate(streamName, aggregate(userRecords(10, 'c')));
    const store = new MemoryCheckpointStore();
    const options = { client, streamName, checkpointStore: store, pollIntervalMs: 50, logger: silentLogger };

    const first = new Recorder();
    const c1 = new Consumer({
      ...options,
      processorFactory: first.factory({
        checkpointEachBatch: false,
        checkpointOnShutdown: false,
        onBatch: (_, { records, checkpointer }) => checkpointer.checkpoint(records[4]),
      }),
    });
    await c1.start();
    await eventually(() => first.records.length >= 10);
    await c1.stop();
    expect((await store.get(streamName, 'shardId-000000000000'))?.subSequenceNumber).toBe(4);

    const second = new Recorder();
    const c2 = new Consumer({ ...options, processorFactory: second.factory() });
    await c2.start();
    await eventually(() => second.records.length >= 5);
    await new Promise((r) => setTimeout(r, 300));
    await c2.stop();
    expect(second.datas()).toEqual(['c:5', 'c:6', 'c:7', 'c:8', 'c:9']);
    expect(second.calls('initialize')[0].startedFrom).toBe(first.records[4].sequenceNumber);
  });
});
