import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { injectFaults, serviceError } from '../../../../test/support/faults.js';
import { KINESIS_EMULATORS, kinesisClient, uniqueName } from '../../../../test/support/harness.js';
import { PutRecordError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { ensureStream } from '../stream-admin.js';
import { Producer } from './producer.js';
import { partiallyFail, readAll, within } from '../../../../test/support/stream-reader.js';

const text = (data: Uint8Array) => Buffer.from(data).toString();

/** A seeded PRNG (mulberry32): the same faults on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each(KINESIS_EMULATORS)('Producer failures on %s', (emulator) => {
  let client: KinesisClient;
  let streamName: string;
  // kinesis-local answers a call in ~20 ms: fewer records there (lanes cost one round trip per record).
  const perKey = emulator === 'kinesalite' ? 100 : 40;

  beforeAll(async () => {
    client = kinesisClient(emulator);
    streamName = uniqueName('producer-failures');
    await ensureStream(client, streamName, { shardCount: 2 });
  });
  afterAll(() => client.destroy());

  function producer(options: Partial<ConstructorParameters<typeof Producer>[0]> = {}) {
    return new Producer({
      client,
      streamName,
      logger: silentLogger,
      backoff: { baseMs: 10, maxMs: 50 },
      ...options,
    });
  }

  async function stored(prefix: string) {
    return (await readAll(client, streamName)).filter((r) => r.data.toString().startsWith(`${prefix}:`));
  }

  it('re-sends only the failed entries of a partial failure; every record is stored once', async () => {
    const prefix = uniqueName('partial');
    const inputs: string[][] = [];
    const faults = injectFaults(client, {
      PutRecords: async ({ input, send }) => {
        inputs.push(input.Records.map((r: { Data: Uint8Array }) => text(r.Data)));
        if (inputs.length > 1) return send();
        const failed = new Map<number, string>();
        input.Records.forEach((_: unknown, i: number) => {
          if (i % 10 === 0) failed.set(i, 'ProvisionedThroughputExceededException');
          if (i % 10 === 5) failed.set(i, 'InternalFailure');
        });
        return partiallyFail(input, send, failed);
      },
    });
    try {
      const p = producer({ lingerMs: 50 });
      const data = Array.from({ length: 100 }, (_, i) => `${prefix}:${i}`);
      await Promise.all(data.map((d, i) => p.put({ data: d, partitionKey: `k${i}` })));
      expect(inputs).toHaveLength(2);
      expect(inputs[0]).toEqual(data);
      expect(inputs[1]).toEqual(data.filter((_, i) => i % 5 === 0));
    } finally {
      faults.remove();
    }
    const records = await stored(prefix);
    expect(records).toHaveLength(100);
    expect(new Set(records.map((r) => r.data.toString())).size).toBe(100);
  });

  it('rejects with PutRecordError carrying the record after retryTimeoutMs of throttling', async () => {
    const faults = injectFaults(client, {
      PutRecords: async ({ input, send }) =>
        partiallyFail(
          input,
          send,
          new Map(
            input.Records.map((_: unknown, i: number) => [i, 'ProvisionedThroughputExceededException']),
          ),
        ),
    });
    try {
      const p = producer({ retryTimeoutMs: 300 });
      const started = Date.now();
      const outcomes = await Promise.allSettled([
        p.put({ data: 'doomed-1', partitionKey: 'a' }),
        p.put({ data: 'doomed-2', partitionKey: 'b', explicitHashKey: '7' }),
      ]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(3_000);
      const errors = outcomes.map((o) => (o as PromiseRejectedResult).reason as PutRecordError);
      expect(errors[0]).toBeInstanceOf(PutRecordError);
      expect(errors[0].errorCode).toBe('ProvisionedThroughputExceededException');
      expect(errors[0].attempts).toBeGreaterThan(1);
      expect(errors[0].record).toEqual({ data: Buffer.from('doomed-1'), partitionKey: 'a' });
      expect(errors[1].record).toEqual({
        data: Buffer.from('doomed-2'),
        partitionKey: 'b',
        explicitHashKey: '7',
      });
      expect(faults.calls.get('PutRecords')).toBe(errors[0].attempts);
    } finally {
      faults.remove();
    }
  });

  it('rejects at once on a non-retryable entry error; the rest of the call is stored', async () => {
    const prefix = uniqueName('fatal-entry');
    const faults = injectFaults(client, {
      PutRecords: async ({ input, send }) =>
        partiallyFail(input, send, new Map([[1, 'InvalidArgumentException']])),
    });
    try {
      const p = producer({ lingerMs: 20 });
      const started = Date.now();
      const outcomes = await Promise.allSettled(
        [0, 1, 2].map((i) => p.put({ data: `${prefix}:${i}`, partitionKey: `k${i}` })),
      );
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const error = (outcomes[1] as PromiseRejectedResult).reason as PutRecordError;
      expect(error).toBeInstanceOf(PutRecordError);
      expect(error.errorCode).toBe('InvalidArgumentException');
      expect(error.attempts).toBe(1);
      expect(faults.calls.get('PutRecords')).toBe(1);
    } finally {
      faults.remove();
    }
    expect((await stored(prefix)).map((r) => r.data.toString()).sort()).toEqual([
      `${prefix}:0`,
      `${prefix}:2`,
    ]);
  });

  it('retries a whole call that failed transiently (LimitExceeded, a reset connection)', async () => {
    const prefix = uniqueName('call-retry');
    const inputs: string[][] = [];
    const faults = injectFaults(client, {
      PutRecords: async ({ input, send }) => {
        inputs.push(input.Records.map((r: { Data: Uint8Array }) => text(r.Data)));
        if (inputs.length === 1) throw serviceError('LimitExceededException');
        if (inputs.length === 2) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return send();
      },
    });
    try {
      const p = producer({ lingerMs: 20 });
      const data = Array.from({ length: 10 }, (_, i) => `${prefix}:${i}`);
      await Promise.all(data.map((d) => p.put({ data: d, partitionKey: d })));
      expect(inputs).toEqual([data, data, data]);
    } finally {
      faults.remove();
    }
    expect(await stored(prefix)).toHaveLength(10);
  });

  it('rejects every record of a call to a missing stream with PutRecordError (ResourceNotFound)', async () => {
    const p = new Producer({ client, streamName: uniqueName('missing'), logger: silentLogger });
    const outcomes = await within(
      Promise.allSettled([1, 2, 3].map((i) => p.put({ data: `r${i}`, partitionKey: `k${i}` }))),
      5_000,
      'puts to a missing stream',
    );
    outcomes.forEach((o, i) => {
      const error = (o as PromiseRejectedResult).reason as PutRecordError;
      expect(error).toBeInstanceOf(PutRecordError);
      expect(error.errorCode).toBe('ResourceNotFoundException');
      expect((error.cause as Error).name).toBe('ResourceNotFoundException');
      expect(error.attempts).toBe(1);
      expect(error.record.data.toString()).toBe(`r${i + 1}`);
    });
  });

  /** 5 keys, put in order while 20% of entries fail at random for the first calls. */
  async function putUnderRandomFailures(preserveOrder: boolean) {
    const prefix = uniqueName(preserveOrder ? 'ordered' : 'unordered');
    const keys = Array.from({ length: 5 }, (_, k) => `${prefix}-key${k}`);
    const next = random(preserveOrder ? 1 : 2);
    const inputs: string[][] = [];
    let injected = 0;
    let seen = 0;
    const faults = injectFaults(client, {
      PutRecords: async ({ input, send }) => {
        const keysOfCall = input.Records.map((r: { PartitionKey: string }) => r.PartitionKey);
        inputs.push(keysOfCall);
        // Faults for the first half of the records sent, then a clean run to the end.
        const before = seen;
        seen += keysOfCall.length;
        if (before >= (perKey * keys.length) / 2) return send();
        const failed = new Map<number, string>();
        keysOfCall.forEach((_: string, i: number) => {
          if (next() < 0.2)
            failed.set(i, injected++ % 2 ? 'InternalFailure' : 'ProvisionedThroughputExceededException');
        });
        return partiallyFail(input, send, failed);
      },
    });
    try {
      const p = producer({ preserveOrder, backoff: { baseMs: 5, maxMs: 20 } });
      const puts: Promise<unknown>[] = [];
      for (let i = 0; i < perKey; i++) {
        for (const key of keys) puts.push(p.put({ data: `${prefix}:${key}:${i}`, partitionKey: key }));
      }
      await Promise.all(puts);
      await p.close();
    } finally {
      faults.remove();
    }
    expect(injected).toBeGreaterThan(5);
    const byKey = new Map<string, number[]>(keys.map((k) => [k, []]));
    for (const r of await stored(prefix))
      byKey.get(r.partitionKey)!.push(Number(r.data.toString().split(':')[2]));
    const inOrder = [...byKey.values()].every((seq) => seq.every((n, i) => n === i) && seq.length === perKey);
    return { inputs, byKey, inOrder };
  }

  it('keeps per-key order across retries with preserveOrder (one record per key in flight)', async () => {
    const { inputs, byKey, inOrder } = await putUnderRandomFailures(true);
    for (const seq of byKey.values()) expect(seq).toEqual(Array.from({ length: perKey }, (_, i) => i));
    expect(inOrder).toBe(true);
    // A call never carries two records of one key.
    for (const keys of inputs) expect(new Set(keys).size).toBe(keys.length);
  });

  it('does reorder under the same failures without preserveOrder (the check above is sensitive)', async () => {
    const { byKey, inOrder } = await putUnderRandomFailures(false);
    for (const seq of byKey.values()) expect(seq).toHaveLength(perKey);
    expect(inOrder).toBe(false);
  });
});
