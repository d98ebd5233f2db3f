import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { injectFaults, serviceError } from '../../../../test/support/faults.js';
import { KINESIS_EMULATORS, kinesisClient, uniqueName } from '../../../../test/support/harness.js';
import {
  InvalidExplicitHashKeyError,
  InvalidPartitionKeyError,
  InvalidRecordDataError,
  ProducerClosedError,
  RecordTooLargeError,
} from '../errors.js';
import { silentLogger } from '../logger.js';
import { ensureStream } from '../stream-admin.js';
import { Producer } from './producer.js';
import { isRetryableCallError, isRetryableEntryError } from './retry-policy.js';
import { readAll, within } from '../../../../test/support/stream-reader.js';
import { MAX_RECORD_BYTES, validateRecord } from './validate.js';

describe('record validation', () => {
  it('accepts the limits exactly', () => {
    const key = '😀'.repeat(256); // 256 code points, 512 UTF-16 units
    expect(validateRecord({ data: '', partitionKey: key }).partitionKey).toBe(key);
    const data = Buffer.alloc(MAX_RECORD_BYTES - 3);
    expect(validateRecord({ data, partitionKey: 'abc' }).size).toBe(MAX_RECORD_BYTES);
    expect(
      validateRecord({ data, partitionKey: 'abc', explicitHashKey: String(2n ** 128n - 1n) }),
    ).toBeDefined();
    expect(validateRecord({ data: new Uint8Array([1, 2]), partitionKey: 'k' }).data).toEqual(
      Buffer.from([1, 2]),
    );
  });

  it('counts the partition key in UTF-8 bytes', () => {
    expect(() =>
      validateRecord({ data: Buffer.alloc(MAX_RECORD_BYTES - 2), partitionKey: 'é' }),
    ).not.toThrow();
    expect(() => validateRecord({ data: Buffer.alloc(MAX_RECORD_BYTES - 1), partitionKey: 'é' })).toThrow(
      RecordTooLargeError,
    );
  });
});

describe('retry policy', () => {
  it('retries throttling, internal errors, 5xx and socket failures; not what the request got wrong', () => {
    expect(isRetryableEntryError('ProvisionedThroughputExceededException')).toBe(true);
    expect(isRetryableEntryError('KMSThrottlingException')).toBe(true);
    expect(isRetryableEntryError('InternalFailure')).toBe(true);
    expect(isRetryableEntryError('KMSAccessDeniedException')).toBe(false);
    expect(isRetryableCallError(serviceError('LimitExceededException'))).toBe(true);
    expect(isRetryableCallError(serviceError('ServiceUnavailable', 'down', 'server'))).toBe(true);
    expect(isRetryableCallError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(
      isRetryableCallError(Object.assign(new Error('odd'), { $metadata: { httpStatusCode: 503 } })),
    ).toBe(true);
    expect(isRetryableCallError(serviceError('ResourceNotFoundException'))).toBe(false);
    expect(isRetryableCallError(serviceError('ValidationException'))).toBe(false);
    expect(isRetryableCallError(serviceError('AccessDeniedException'))).toBe(false);
    expect(isRetryableCallError(serviceError('SomethingNew'))).toBe(false); // a client fault
  });
});

describe.each(KINESIS_EMULATORS)('Producer on %s', (emulator) => {
  let client: KinesisClient;
  let streamName: string;

  beforeAll(async () => {
    client = kinesisClient(emulator);
    streamName = uniqueName('producer');
    await ensureStream(client, streamName, { shardCount: 2 });
  });
  afterAll(() => client.destroy());

  function producer(options: Partial<ConstructorParameters<typeof Producer>[0]> = {}) {
    return new Producer({ client, streamName, logger: silentLogger, ...options });
  }

  it('batches 1,200 puts issued at once into at most 4 PutRecords calls and stores them all', async () => {
    const faults = injectFaults(client, {});
    const p = producer();
    const prefix = uniqueName('batch');
    try {
      const results = await Promise.all(
        Array.from({ length: 1_200 }, (_, i) =>
          p.put({ data: `${prefix}:${i}`, partitionKey: `k${i % 37}` }),
        ),
      );
      expect(faults.calls.get('PutRecords')).toBeLessThanOrEqual(4);
      expect(results.every((r) => r.shardId && r.sequenceNumber && r.subSequenceNumber === undefined)).toBe(
        true,
      );
    } finally {
      faults.remove();
    }
    const stored = (await readAll(client, streamName)).filter((r) =>
      r.data.toString().startsWith(`${prefix}:`),
    );
    expect(new Set(stored.map((r) => r.data.toString())).size).toBe(1_200);
    expect(stored).toHaveLength(1_200);
  });

  it('sends a full batch at once, without waiting for the linger', async () => {
    const p = producer({ lingerMs: 60_000, maxBatchRecords: 100 });
    const puts = Array.from({ length: 100 }, (_, i) => p.put({ data: `full-${i}`, partitionKey: `k${i}` }));
    await within(Promise.all(puts), 5_000, 'a full batch');
  });

  it('keeps every call within maxBatchBytes', async () => {
    const sizes: number[] = [];
    const faults = injectFaults(client, {
      PutRecords: async ({ input, send }) => {
        sizes.push(
          input.Records.reduce(
            (n: number, r: { Data: Uint8Array; PartitionKey: string }) =>
              n + r.Data.length + r.PartitionKey.length,
            0,
          ),
        );
        return send();
      },
    });
    try {
      const p = producer({ maxBatchBytes: 500_000 });
      await Promise.all(
        Array.from({ length: 6 }, (_, i) => p.put({ data: Buffer.alloc(200_000, i), partitionKey: `k${i}` })),
      );
    } finally {
      faults.remove();
    }
    expect(sizes).toHaveLength(3);
    expect(sizes.every((n) => n <= 500_000)).toBe(true);
  });

  it('sends a lone record once the linger is over', async () => {
    const p = producer({ lingerMs: 20 });
    const started = Date.now();
    await within(p.put({ data: 'lone', partitionKey: 'k' }), 5_000, 'a lingering record');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('refuses invalid records with typed errors, without any call, and the rest of the batch goes on', async () => {
    const faults = injectFaults(client, {});
    const p = producer({ lingerMs: 30 });
    try {
      const bad = [
        p.put({ data: Buffer.alloc(MAX_RECORD_BYTES), partitionKey: 'k' }),
        p.put({ data: 'x', partitionKey: '' }),
        p.put({ data: 'x', partitionKey: 'k'.repeat(257) }),
        p.put({ data: 'x', partitionKey: 42 as unknown as string }),
        p.put({ data: 'x', partitionKey: 'k', explicitHashKey: String(2n ** 128n) }),
        p.put({ data: 'x', partitionKey: 'k', explicitHashKey: '-1' }),
        p.put({ data: 'x', partitionKey: 'k', explicitHashKey: '12ab' }),
        p.put({ data: 42 as unknown as string, partitionKey: 'k' }),
        p.put({ data: { text: 'x' } as unknown as string, partitionKey: 'k' }),
      ];
      const outcomes = await Promise.allSettled(bad);
      const errors = outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value));
      expect(errors[0]).toBeInstanceOf(RecordTooLargeError);
      expect(errors[1]).toBeInstanceOf(InvalidPartitionKeyError);
      expect(errors[2]).toBeInstanceOf(InvalidPartitionKeyError);
      expect(errors[3]).toBeInstanceOf(InvalidPartitionKeyError);
      expect(errors[4]).toBeInstanceOf(InvalidExplicitHashKeyError);
      expect(errors[5]).toBeInstanceOf(InvalidExplicitHashKeyError);
      expect(errors[6]).toBeInstanceOf(InvalidExplicitHashKeyError);
      expect(errors[7]).toBeInstanceOf(InvalidRecordDataError);
      expect(errors[8]).toBeInstanceOf(InvalidRecordDataError);
      await p.flush();
      expect(faults.calls.get('PutRecords') ?? 0).toBe(0);

      // Valid records around invalid ones share a call and are stored.
      const mixed = await Promise.allSettled([
        p.put({ data: 'ok-1', partitionKey: 'k' }),
        p.put({ data: 'x', partitionKey: '' }),
        p.put({ data: 'ok-2', partitionKey: 'k', explicitHashKey: '0' }),
      ]);
      expect(mixed.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(faults.calls.get('PutRecords')).toBe(1);
    } finally {
      faults.remove();
    }
  });

  it('flush() and close() drain what is buffered; a put after close rejects with ProducerClosedError', async () => {
    const p = producer({ lingerMs: 60_000 }); // nothing would go out without flush/close
    const prefix = uniqueName('drain');
    const first = Array.from({ length: 20 }, (_, i) =>
      p.put({ data: `${prefix}:a${i}`, partitionKey: `k${i}` }),
    );
    let settled = 0;
    first.forEach((put) => void put.then(() => settled++));
    await within(p.flush(), 5_000, 'flush');
    expect(settled).toBe(20);

    const second = Array.from({ length: 20 }, (_, i) =>
      p.put({ data: `${prefix}:b${i}`, partitionKey: `k${i}` }),
    );
    await within(p.close(), 5_000, 'close');
    await expect(Promise.all(second)).resolves.toHaveLength(20);
    await expect(p.put({ data: 'late', partitionKey: 'k' })).rejects.toBeInstanceOf(ProducerClosedError);
    await p.flush(); // nothing pending: resolves at once

    const stored = (await readAll(client, streamName)).filter((r) =>
      r.data.toString().startsWith(`${prefix}:`),
    );
    expect(stored).toHaveLength(40);
  });
});
