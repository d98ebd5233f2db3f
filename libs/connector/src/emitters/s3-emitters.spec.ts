import { gunzipSync } from 'node:zlib';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bufferedItem, emitBatch, jsonBytes } from '../../../../test/support/emit-batches.js';
import { kinesisClient, s3Client, uniqueName } from '../../../../test/support/harness.js';
import { readAll } from '../../../../test/support/stream-reader.js';
import { ensureStream, Producer, silentLogger } from '../../../kinesis/src/index.js';
import type { EmitBatch } from '../interfaces.js';
import { S3Emitter, S3WriteError } from './s3-emitter.js';
import { parseS3Url, s3ObjectKey } from './s3-keys.js';
import { ManifestPutError, S3ManifestEmitter } from './s3-manifest-emitter.js';

const SEQ_BASE = 49590338271490256608559692538361571095921575989136588898n;
const SHARD = 'shardId-000000000000';

/** A batch of `models` as the pipeline hands it over: consecutive sequence numbers from `start`. */
function batchOf<T>(models: T[], start = 0, toBytes = (m: T) => jsonBytes(m)): EmitBatch<T> {
  const items = models.map((model, i) =>
    bufferedItem(
      model,
      { sequenceNumber: String(SEQ_BASE + BigInt(start + i)), partitionKey: `pk-${i}` },
      toBytes,
    ),
  );
  return emitBatch(items, { shardId: SHARD, toBytes });
}

let s3: S3Client;
let bucket: string;

beforeAll(() => {
  s3 = s3Client();
});
afterAll(() => s3.destroy());
beforeEach(async () => {
  bucket = uniqueName('s3e'); // lower-case, 3-63 characters: a valid bucket name
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

async function body(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

async function keys(prefix: string): Promise<string[]> {
  // One page only: s3rver fails on continuation tokens, and these tests hold a handful of objects.
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

describe('s3ObjectKey', () => {
  it('is <prefix>/<stream>/<shard>/<first>-<last>, whatever slashes the prefix has', () => {
    expect(s3ObjectKey('raw', 'orders', SHARD, '1', '9')).toBe(`raw/orders/${SHARD}/1-9`);
    expect(s3ObjectKey('/raw/in/', 'orders', SHARD, '1', '9', '.gz')).toBe(`raw/in/orders/${SHARD}/1-9.gz`);
    expect(s3ObjectKey('', 'orders', SHARD, '1', '9')).toBe(`orders/${SHARD}/1-9`);
  });

  it('parses s3:// URLs back, and nothing else', () => {
    expect(parseS3Url('s3://b/k/x')).toEqual({ bucket: 'b', key: 'k/x' });
    expect(parseS3Url('s3://b/')).toBeUndefined();
    expect(parseS3Url('https://b/k')).toBeUndefined();
    expect(parseS3Url(42)).toBeUndefined();
  });
});

describe('S3Emitter', () => {
  it('writes one object per batch at the deterministic key, as JSON lines', async () => {
    const emitter = new S3Emitter<object>({ client: s3, bucket, prefix: 'raw' });
    const batch = batchOf([{ a: 1 }, { b: 'x' }, { c: [true] }]);
    await expect(emitter.emit(batch)).resolves.toEqual([]);
    const key = `raw/orders/${SHARD}/${SEQ_BASE}-${SEQ_BASE + 2n}`;
    expect(await keys('raw/')).toEqual([key]);
    expect((await body(key)).toString()).toBe('{"a":1}\n{"b":"x"}\n{"c":[true]}\n');
  });

  it('does not double a newline toBytes already wrote', async () => {
    const emitter = new S3Emitter<string>({ client: s3, bucket, prefix: 'nl' });
    const batch = batchOf(['one', 'two'], 0, (m) => Buffer.from(`${JSON.stringify(m)}\n`));
    await emitter.emit(batch);
    expect((await body(emitter.locate(batch).key)).toString()).toBe('"one"\n"two"\n');
  });

  it('gzips the body and adds .gz to the key', async () => {
    const emitter = new S3Emitter<object>({ client: s3, bucket, prefix: 'gz', gzip: true });
    const batch = batchOf([{ n: 1 }, { n: 2 }]);
    await emitter.emit(batch);
    const key = `gz/orders/${SHARD}/${SEQ_BASE}-${SEQ_BASE + 1n}.gz`;
    const stored = await body(key);
    expect(stored.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip magic: stored compressed
    expect(gunzipSync(stored).toString()).toBe('{"n":1}\n{"n":2}\n');
  });

  it('overwrites the object when the same batch is emitted again (a replay)', async () => {
    const emitter = new S3Emitter<object>({ client: s3, bucket, prefix: 'replay' });
    const batch = batchOf([{ n: 1 }, { n: 2 }], 10);
    await emitter.emit(batch);
    await emitter.emit(batch);
    expect(await keys('replay/')).toEqual([emitter.locate(batch).key]);
  });

  it('replaces an earlier attempt that started at the same record but ended elsewhere', async () => {
    const emitter = new S3Emitter<object>({ client: s3, bucket, prefix: 'regrown' });
    const first = batchOf([{ n: 1 }, { n: 2 }, { n: 3 }], 30); // written, then the process died unchecked
    const replay = batchOf([{ n: 1 }, { n: 2 }], 30); // after the restart an age flush cut it shorter
    const next = batchOf([{ n: 3 }], 32);
    await emitter.emit(first);
    await emitter.emit(replay);
    await emitter.emit(next);
    expect((await keys('regrown/')).sort()).toEqual(
      [emitter.locate(replay).key, emitter.locate(next).key].sort(),
    );
    const lines = [
      ...(await body(emitter.locate(replay).key)).toString().trim().split('\n'),
      ...(await body(emitter.locate(next).key)).toString().trim().split('\n'),
    ];
    expect(lines).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']); // each record once
  });

  it('puts the sub-sequence number of KPL sub-records in the key', () => {
    const emitter = new S3Emitter<object>({ client: s3, bucket, prefix: 'agg' });
    const batch = batchOf([{ n: 1 }, { n: 2 }], 40);
    batch.items.forEach((item, i) =>
      Object.assign(item.record, {
        aggregated: true,
        sequenceNumber: batch.firstSequenceNumber,
        subSequenceNumber: 3 + i,
      }),
    );
    expect(emitter.locate(batch).key).toBe(
      `agg/orders/${SHARD}/${batch.firstSequenceNumber}.3-${batch.firstSequenceNumber}.4`,
    );
  });

  it('throws when the bucket is missing: the destination is unavailable, no item is failed', async () => {
    const emitter = new S3Emitter<object>({ client: s3, bucket: uniqueName('missing'), prefix: 'raw' });
    await expect(emitter.emit(batchOf([{ n: 1 }]))).rejects.toThrow(S3WriteError);
  });

  it('returns a model toBytes cannot encode as failed and writes the others; no object when none encodes', async () => {
    const emitter = new S3Emitter<{ n: number }>({ client: s3, bucket, prefix: 'enc' });
    const toBytes = (m: { n: number }) => {
      if (m.n < 0) throw new RangeError('Maximum call stack size exceeded');
      return jsonBytes(m);
    };
    const batch = { ...batchOf([{ n: 1 }, { n: -2 }, { n: 3 }]), toBytes };
    const failed = await emitter.emit(batch);
    expect(failed).toEqual([{ item: batch.items[1], error: 'toBytes: Maximum call stack size exceeded' }]);
    expect((await body(emitter.locate(batch).key)).toString()).toBe('{"n":1}\n{"n":3}\n');
    const none = { ...batchOf([{ n: -1 }], 10), toBytes };
    await expect(emitter.emit(none)).resolves.toHaveLength(1);
    expect(await keys('enc/')).toEqual([emitter.locate(batch).key]);
  });
});

describe('S3ManifestEmitter', () => {
  let kinesis: KinesisClient;
  let stream: string;
  let producer: Producer;

  beforeAll(async () => {
    kinesis = kinesisClient('kinesalite');
    stream = uniqueName('manifests');
    await ensureStream(kinesis, stream, { shardCount: 1 });
    producer = new Producer({ client: kinesis, streamName: stream, lingerMs: 0 });
  });
  afterAll(async () => {
    await producer.close();
    kinesis.destroy();
  });

  it('writes the object, then puts its s3:// path on the manifest stream keyed by the object key', async () => {
    const emitter = new S3ManifestEmitter<object>({ s3: { client: s3, bucket, prefix: 'm' }, producer });
    const batch = batchOf([{ n: 1 }, { n: 2 }], 20);
    await expect(emitter.emit(batch)).resolves.toEqual([]);
    const key = `m/orders/${SHARD}/${SEQ_BASE + 20n}-${SEQ_BASE + 21n}`;
    expect((await body(key)).toString()).toBe('{"n":1}\n{"n":2}\n');
    const records = (await readAll(kinesis, stream)).filter((r) => r.partitionKey === key);
    expect(records.map((r) => r.data.toString())).toEqual([`s3://${bucket}/${key}`]);
  });

  it('throws when the manifest stream refuses the path', async () => {
    const missing = new Producer({
      client: kinesis,
      streamName: uniqueName('absent'),
      lingerMs: 0,
      logger: silentLogger,
    });
    const emitter = new S3ManifestEmitter<object>({
      s3: { client: s3, bucket, prefix: 'm' },
      producer: missing,
    });
    try {
      await expect(emitter.emit(batchOf([{ n: 1 }]))).rejects.toThrow(ManifestPutError);
    } finally {
      await missing.close();
    }
  });

  it('throws when the object cannot be written, and puts nothing', async () => {
    const emitter = new S3ManifestEmitter<object>({
      s3: { client: s3, bucket: uniqueName('missing'), prefix: 'lost' },
      producer,
    });
    await expect(emitter.emit(batchOf([{ n: 1 }], 30))).rejects.toThrow(S3WriteError);
    const records = await readAll(kinesis, stream);
    expect(records.filter((r) => r.partitionKey.startsWith('lost/'))).toEqual([]);
  });
});
