import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream, Producer, silentLogger } from '../../../kinesis/src/index.js';
import { kinesisClient, s3Client, uniqueName } from '../../../../test/support/harness.js';
import { readStream } from '../../../../test/support/stream-reader.js';
import type { DeadLetterEntry } from '../interfaces.js';
import { KinesisDeadLetterSink } from './kinesis-sink.js';
import { S3DeadLetterSink } from './s3-sink.js';

const entry = (n: number, data = Buffer.from(`bad ${n}`)): DeadLetterEntry => ({
  streamName: 'orders',
  shardId: 'shardId-000000000001',
  sequenceNumber: String(1000 + n),
  subSequenceNumber: 0,
  partitionKey: `k${n}`,
  data: data.toString('base64'),
  stage: 'transform',
  error: 'record is not JSON',
  at: new Date(0).toISOString(),
});

describe('S3DeadLetterSink', () => {
  let s3: S3Client;
  beforeAll(() => (s3 = s3Client()));
  afterAll(() => s3.destroy());

  it('writes one JSON-lines object per write under its prefix, at a deterministic key', async () => {
    const bucket = uniqueName('dlq');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const sink = new S3DeadLetterSink(s3, bucket, 'dead/');
    await sink.write([entry(1), entry(2)]);
    await sink.write([entry(1), entry(2)]); // a replay overwrites
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dead/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      'dead/orders/shardId-000000000001/1001.0-1002.0.jsonl',
    ]);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: listed.Contents![0].Key! }))
    ).Body!.transformToString();
    expect(
      body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([entry(1), entry(2)]);
  });

  it('throws when the bucket is missing (the pipeline then retries, checkpointing nothing)', async () => {
    await expect(new S3DeadLetterSink(s3, uniqueName('missing'), 'dead').write([entry(1)])).rejects.toThrow();
  });
});

describe('KinesisDeadLetterSink', () => {
  let kinesis: KinesisClient;
  beforeAll(() => (kinesis = kinesisClient('kinesalite')));
  afterAll(() => kinesis.destroy());

  it('puts each entry on the stream; an entry too big for a record has its data cut, flagged', async () => {
    const streamName = uniqueName('dlq');
    await ensureStream(kinesis, streamName, { shardCount: 1 });
    const sink = new KinesisDeadLetterSink(
      new Producer({ client: kinesis, streamName, logger: silentLogger }),
    );
    const huge = entry(3, Buffer.alloc(900_000, 1)); // 1.2 MB once base64-encoded
    await sink.write([entry(1), huge]);
    await sink.shutdown();
    const [shard] = await readStream(kinesis, streamName);
    const stored = shard.records.map((r) => JSON.parse(r.data.toString()));
    expect(stored[0]).toEqual(entry(1));
    expect(stored[1]).toMatchObject({ sequenceNumber: '1003', dataTruncated: true, dataBytes: 900_000 });
    expect(stored[1].data.length).toBeLessThanOrEqual(1_000_000);
  });

  it('throws when the stream does not exist', async () => {
    const sink = new KinesisDeadLetterSink(
      new Producer({ client: kinesis, streamName: uniqueName('missing'), logger: silentLogger }),
    );
    await expect(sink.write([entry(1)])).rejects.toMatchObject({ name: 'PutRecordError' });
  });
});
