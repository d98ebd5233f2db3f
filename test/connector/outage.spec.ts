/**
 * An emitter outage with a real server: the S3 endpoint stops for a while. No checkpoint moves, nothing is
 * lost, and the backlog drains once it is back.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  Connector,
  FileDeadLetterSink,
  JsonTransformer,
  PipelineCounters,
} from '../../libs/connector/src/index.js';
import { S3Emitter } from '../../src/connector/s3/index.js';
import { ensureStream, MemoryCheckpointStore, silentLogger } from '../../libs/kinesis/src/index.js';
import { createS3rverClient, freePort, startS3rver } from '../../libs/local-aws/src/index.js';
import { eventually, kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';

describe('emitter outage (s3rver stopped for a while)', () => {
  it('moves no checkpoint while S3 is down, loses nothing, drains the backlog after', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'outage-s3-'));
    const port = await freePort();
    let s3rver = await startS3rver(directory, port);
    const s3 = createS3rverClient(s3rver.endpoint, {
      requestHandler: new NodeHttpHandler({ connectionTimeout: 500, requestTimeout: 2_000 }),
      maxAttempts: 1,
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'outage' }));
    const kinesis = kinesisClient('kinesalite');
    const streamName = uniqueName('outage');
    await ensureStream(kinesis, streamName, { shardCount: 1 });
    const store = new MemoryCheckpointStore();
    const counters = new PipelineCounters();
    const connector = new Connector<{ n: number }>({
      client: kinesis,
      streamName,
      checkpointStore: store,
      transformer: new JsonTransformer(),
      emitter: new S3Emitter({ client: s3, bucket: 'outage', prefix: 'out' }),
      deadLetter: new FileDeadLetterSink(join(directory, 'dead.jsonl')),
      bufferLimits: { maxRecords: 25, maxAgeMs: 200 },
      observer: counters,
      logger: silentLogger,
      consumer: { pollIntervalMs: 50 },
      pipeline: { backoff: { baseMs: 50, maxMs: 200 } },
    });
    const records = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ data: JSON.stringify({ n: from + i }), key: 'k' }));
    const shard = 'shardId-000000000000';
    try {
      await connector.start();
      await putRaw(kinesis, streamName, records(0, 50));
      await eventually(() => counters.emittedCount === 50, { message: 'the first 50 written' });
      await eventually(async () => (await store.get(streamName, shard)) !== undefined);
      const before = await store.get(streamName, shard);

      await s3rver.stop();
      await putRaw(kinesis, streamName, records(50, 150));
      await eventually(() => counters.emitFailures >= 3, { message: 'writes failing during the outage' });
      expect(await store.get(streamName, shard)).toEqual(before);
      expect(counters.emittedCount).toBe(50);

      s3rver = await startS3rver(directory, port);
      await eventually(() => counters.emittedCount === 200, {
        timeoutMs: 20_000,
        message: 'the backlog drained',
      });
      await eventually(
        async () => (await store.get(streamName, shard))?.sequenceNumber !== before?.sequenceNumber,
      );
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'outage', Prefix: 'out/' }));
      const ids: number[] = [];
      for (const object of listed.Contents ?? []) {
        const body = await (
          await s3.send(new GetObjectCommand({ Bucket: 'outage', Key: object.Key! }))
        ).Body!.transformToString();
        ids.push(
          ...body
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l).n),
        );
      }
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(counters.deadLetteredCount).toBe(0);
    } finally {
      await connector.stop();
      s3.destroy();
      kinesis.destroy();
      await s3rver.stop();
    }
  }, 60_000);
});
