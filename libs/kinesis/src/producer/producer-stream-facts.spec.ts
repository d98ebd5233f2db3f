import { CreateStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { injectFaults } from '../../../../test/support/faults.js';
import { kinesisClient, uniqueName } from '../../../../test/support/harness.js';
import { readAll } from '../../../../test/support/stream-reader.js';
import { RecordTooLargeError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { ensureStream } from '../stream-admin.js';
import { readStreamFacts } from '../stream-facts.js';
import { producerLimits, resolveProducerOptions } from './options.js';
import { Producer } from './producer.js';

const MiB = 1_048_576;

/** A producer whose limits are the stream's facts, read the way the transport reads them. */
async function producerFor(client: KinesisClient, streamName: string): Promise<Producer> {
  const facts = await readStreamFacts(client, streamName);
  return new Producer({ client, streamName, ...producerLimits(facts), logger: silentLogger });
}

describe('stream facts: a stream without MaxRecordSizeInKiB has the classic limits', () => {
  // Neither emulator reports MaxRecordSizeInKiB for a stream created without it; kinesalite reports no mode.
  it.each(['kinesalite', 'kinesis-local'] as const)('%s: 1 MiB records, 5 MiB requests', async (emulator) => {
    const client = kinesisClient(emulator);
    const streamName = uniqueName('facts-classic');
    await ensureStream(client, streamName, { shardCount: 1 });
    const facts = await readStreamFacts(client, streamName);
    expect(facts).toMatchObject({
      maxRecordBytes: MiB,
      maxRequestBytes: 5 * MiB,
      distribution: 'USER_PARTITION_KEY',
      encryptionType: 'NONE',
      mode: emulator === 'kinesalite' ? undefined : 'PROVISIONED',
    });
    const producer = await producerFor(client, streamName);
    await expect(producer.put({ data: Buffer.alloc(MiB), partitionKey: 'k' })).rejects.toEqual(
      new RecordTooLargeError(MiB + 1, MiB),
    );
    await producer.close();
    client.destroy();
  });
});

describe('stream facts: MaxRecordSizeInKiB (kinesis-local reports and enforces it)', () => {
  it('a 10240 KiB stream takes a 2 MiB record through the producer, and kinesis-local stores it', async () => {
    const client = kinesisClient('kinesis-local');
    const streamName = uniqueName('facts-large');
    await client.send(
      new CreateStreamCommand({ StreamName: streamName, ShardCount: 1, MaxRecordSizeInKiB: 10240 }),
    );
    await ensureStream(client, streamName);
    const facts = await readStreamFacts(client, streamName);
    expect(facts).toMatchObject({ maxRecordBytes: 10 * MiB, maxRequestBytes: 10 * MiB });
    const producer = await producerFor(client, streamName);
    const data = Buffer.alloc(2 * MiB, 7);
    await producer.put({ data, partitionKey: 'big' });
    await expect(producer.put({ data: Buffer.alloc(10 * MiB), partitionKey: 'k' })).rejects.toBeInstanceOf(
      RecordTooLargeError,
    );
    await producer.close();
    const stored = await readAll(client, streamName);
    expect(stored.map((r) => r.data.length)).toEqual([2 * MiB]);
    client.destroy();
  });
});

describe('stream facts: read once per client and stream', () => {
  it('one DescribeStreamSummary for any number of readers; a failed read is not kept', async () => {
    const client = kinesisClient('kinesalite');
    const faults = injectFaults(client, {});
    const streamName = uniqueName('facts-once');
    await expect(readStreamFacts(client, streamName)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await ensureStream(client, streamName, { shardCount: 1 });
    const before = faults.calls.get('DescribeStreamSummary')!;
    const read = await Promise.all([1, 2, 3].map(() => readStreamFacts(client, streamName)));
    expect(read[0]).toBe(read[2]);
    expect(await readStreamFacts(client, streamName)).toBe(read[0]);
    expect(faults.calls.get('DescribeStreamSummary')).toBe(before + 1);
    client.destroy();
  });
});

describe('producer limits', () => {
  const client = {} as KinesisClient;
  it('takes 10 MiB requests only with records above 1 MiB (the classic request limit is 5 MiB)', () => {
    expect(() => resolveProducerOptions({ client, streamName: 's', maxBatchBytes: 10 * MiB })).toThrow(
      /maxBatchBytes/,
    );
    const large = resolveProducerOptions({
      client,
      streamName: 's',
      maxRecordBytes: 10 * MiB,
      maxBatchBytes: 10 * MiB,
    });
    expect(large).toMatchObject({ maxRecordBytes: 10 * MiB, maxBatchBytes: 10 * MiB });
    expect(() => resolveProducerOptions({ client, streamName: 's', maxRecordBytes: 10 * MiB + 1 })).toThrow(
      /maxRecordBytes/,
    );
  });
});
