import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { MemoryCheckpointStore } from '../checkpoint/index.js';
import { InvalidCheckpointError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { ensureStream } from '../stream-admin.js';
import type { ConsumerOptions } from './consumer-options.js';
import { Consumer } from './consumer.js';
import { injectFaults, serviceError } from '../../../../test/support/faults.js';
import {
  eventually,
  KINESIS_EMULATORS,
  kinesisClient,
  uniqueName,
} from '../../../../test/support/harness.js';
import { putRaw } from '../../../../test/support/kinesis-helpers.js';
import { expectPerKeyOrder, Recorder } from '../../../../test/support/recording-processor.js';

const fixtures = (n: number, keys = 8) =>
  Array.from({ length: n }, (_, i) => ({ data: `k${i % keys}:${i}`, key: `k${i % keys}` }));

describe.each(KINESIS_EMULATORS)('Consumer on %s', (emulator) => {
  let client: KinesisClient;
  const consumers: Consumer[] = [];
  beforeAll(() => {
    client = kinesisClient(emulator);
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });
  afterAll(() => client.destroy());

  async function stream(shardCount = 2): Promise<string> {
    const name = uniqueName('consumer');
    await ensureStream(client, name, { shardCount });
    return name;
  }
  function consumer(
    options: Partial<ConsumerOptions> & Pick<ConsumerOptions, 'streamName' | 'processorFactory'>,
  ) {
    const c = new Consumer({ client, pollIntervalMs: 50, logger: silentLogger, ...options });
    consumers.push(c);
    return c;
  }

  it('reads every shard, each record once, per-key order kept', async () => {
    const streamName = await stream(4);
    await putRaw(client, streamName, fixtures(400));
    const recorder = new Recorder();
    const c = consumer({ streamName, processorFactory: recorder.factory() });
    await c.start();
    await eventually(() => recorder.records.length >= 400, { message: '400 records' });
    expect(c.activeShardIds().sort()).toHaveLength(4);
    expect(new Set(recorder.datas()).size).toBe(400);
    expectPerKeyOrder(recorder.datas());
    expect(recorder.calls('initialize').map((e) => e.startedFrom)).toEqual(Array(4).fill('TRIM_HORIZON'));
  });

  it('starts at LATEST and at a timestamp', async () => {
    const streamName = await stream(1);
    await putRaw(client, streamName, [{ data: 'old:0', key: 'old' }]);
    await new Promise((r) => setTimeout(r, 1_100)); // arrival timestamps have second precision on some endpoints
    const cut = new Date();
    await new Promise((r) => setTimeout(r, 1_100));
    const latest = new Recorder();
    const counter = injectFaults(client, {});
    await consumer({
      streamName,
      processorFactory: latest.factory(),
      startPosition: { type: 'LATEST' },
    }).start();
    // A GetRecords went out: the LATEST iterator was taken before the put below.
    await eventually(() => (counter.calls.get('GetRecords') ?? 0) >= 1, { message: 'the first poll' });
    counter.remove();
    await putRaw(client, streamName, [{ data: 'new:1', key: 'new' }]);
    await eventually(() => latest.records.length >= 1);
    expect(latest.datas()).toEqual(['new:1']);
    const atTime = new Recorder();
    await consumer({
      streamName,
      processorFactory: atTime.factory(),
      startPosition: { type: 'AT_TIMESTAMP', timestamp: cut },
    }).start();
    await eventually(() => atTime.records.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(atTime.datas()).toEqual(['new:1']);
  });

  it('waits for processRecords before the next GetRecords (backpressure)', async () => {
    const streamName = await stream(1);
    await putRaw(client, streamName, fixtures(10));
    const faults = injectFaults(client, {});
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inFlight = 0;
    let maxInFlight = 0;
    const recorder = new Recorder();
    await consumer({
      streamName,
      maxRecordsPerCall: 2,
      processorFactory: recorder.factory({
        onBatch: async () => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await gate;
          inFlight--;
        },
      }),
    }).start();
    await eventually(() => inFlight === 1);
    const callsWhileBlocked = faults.calls.get('GetRecords');
    await new Promise((r) => setTimeout(r, 400));
    expect(faults.calls.get('GetRecords')).toBe(callsWhileBlocked);
    release();
    await eventually(() => recorder.records.length >= 10);
    expect(maxInFlight).toBe(1);
    faults.remove();
  });

  it('sizes each GetRecords from the record sizes it saw, to about maxBytesPerCall', async () => {
    const streamName = await stream(1);
    const big = 'x'.repeat(10_000); // 10 KB records: 20 of them are ~200 KB
    await putRaw(
      client,
      streamName,
      Array.from({ length: 119 }, (_, i) => ({ data: `k:${i}:${big}`, key: 'k' })),
    );
    const calls: number[] = [];
    const faults = injectFaults(client, {
      GetRecords: async ({ input, send }) => {
        calls.push(input.Limit);
        return send();
      },
    });
    const recorder = new Recorder();
    const c = consumer({
      streamName,
      maxBytesPerCall: 200_000,
      // Far longer than the wait below: only a sized call that follows the probe at once reads the last 19.
      pollIntervalMs: 120_000,
      processorFactory: recorder.factory(),
    });
    await c.start();
    await eventually(() => recorder.records.length >= 119, { message: '119 records' });
    faults.remove();
    // The first call asks for 100 (sizes unknown) and comes back full, so the sized call followed at once:
    // 200 KB / ~10 KB per record = 19 or 20, and no third call (the poll interval holds it back).
    expect(calls[0]).toBe(100);
    expect(calls[1]).toBeGreaterThanOrEqual(19);
    expect(calls[1]).toBeLessThanOrEqual(20);
    expect(calls).toHaveLength(2);
    expect(new Set(recorder.datas()).size).toBe(119);
  });

  it('refuses options Kinesis would not accept, before any call', () => {
    const base = { client, streamName: 's', processorFactory: new Recorder().factory() };
    expect(() => new Consumer({ ...base, maxRecordsPerCall: 10_001 })).toThrow(/maxRecordsPerCall/);
    expect(() => new Consumer({ ...base, maxRecordsPerCall: 0 })).toThrow(RangeError);
    expect(() => new Consumer({ ...base, maxBytesPerCall: 0 })).toThrow(/maxBytesPerCall/);
    expect(() => new Consumer({ ...base, pollIntervalMs: -1 })).toThrow(/pollIntervalMs/);
  });

  it('backs off when throttled and keeps reading', async () => {
    const streamName = await stream(1);
    await putRaw(client, streamName, fixtures(20));
    let throttles = 3;
    const faults = injectFaults(client, {
      GetRecords: async ({ send }) => {
        if (throttles-- > 0) throw serviceError('ProvisionedThroughputExceededException');
        return send();
      },
    });
    const recorder = new Recorder();
    const c = consumer({
      streamName,
      processorFactory: recorder.factory(),
      throttleBackoff: { baseMs: 10, maxMs: 50 },
    });
    const throttled: string[] = [];
    c.on('throttled', (shardId) => throttled.push(shardId));
    await c.start();
    await eventually(() => recorder.records.length >= 20);
    expect(throttled).toHaveLength(3);
    faults.remove();
  });

  it('renews an expired iterator without losing or repeating records', async () => {
    const streamName = await stream(1);
    await putRaw(client, streamName, fixtures(10));
    let expire = false;
    const faults = injectFaults(client, {
      GetRecords: async ({ send }) => {
        if (expire) {
          expire = false;
          throw serviceError('ExpiredIteratorException');
        }
        return send();
      },
    });
    const recorder = new Recorder();
    await consumer({
      streamName,
      processorFactory: recorder.factory({ checkpointEachBatch: false }),
    }).start();
    await eventually(() => recorder.records.length >= 10);
    expire = true;
    await putRaw(
      client,
      streamName,
      fixtures(10).map((f) => ({ ...f, data: f.data.replace(':', ':1') })),
    );
    await eventually(() => recorder.records.length >= 20);
    await new Promise((r) => setTimeout(r, 300));
    expect(expire).toBe(false);
    expect(recorder.records).toHaveLength(20);
    expect(new Set(recorder.datas()).size).toBe(20);
    faults.remove();
  });

  it('stop() calls shutdownRequested, whose checkpoint a restart resumes after', async () => {
    const streamName = await stream(1);
    const store = new MemoryCheckpointStore();
    await putRaw(client, streamName, fixtures(5));
    const first = new Recorder();
    const c1 = consumer({
      streamName,
      checkpointStore: store,
      processorFactory: first.factory({ checkpointEachBatch: false }),
    });
    await c1.start();
    await eventually(() => first.records.length >= 5);
    await c1.stop();
    expect(first.calls('shutdownRequested')).toHaveLength(1);
    await putRaw(client, streamName, [{ data: 'after:1', key: 'after' }]);
    const second = new Recorder();
    await consumer({ streamName, checkpointStore: store, processorFactory: second.factory() }).start();
    await eventually(() => second.records.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.datas()).toEqual(['after:1']);
    expect(second.calls('initialize')[0].startedFrom).toBe(first.records[4].sequenceNumber);
  });

  it('falls back to TRIM_HORIZON with a warning when the checkpointed sequence is gone', async () => {
    const streamName = await stream(1);
    await putRaw(client, streamName, fixtures(3));
    const store = new MemoryCheckpointStore();
    const shardId = 'shardId-000000000000';
    // A sequence number of a record that no longer exists (kinesalite refuses it; kinesis-local accepts any).
    await store.set(streamName, shardId, {
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: 0,
    });
    const faults =
      emulator === 'kinesis-local'
        ? injectFaults(client, {
            GetShardIterator: async ({ input, send }) => {
              if (input.ShardIteratorType === 'AT_SEQUENCE_NUMBER')
                throw serviceError('InvalidArgumentException');
              return send();
            },
          })
        : undefined;
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const recorder = new Recorder();
    await consumer({
      streamName,
      checkpointStore: store,
      processorFactory: recorder.factory(),
      logger,
    }).start();
    await eventually(() => recorder.records.length >= 3);
    expect(warnings.some((w) => w.includes('aged out'))).toBe(true);
    faults?.remove();
  });

  it('refuses a checkpoint past the delivered records and reports processor errors', async () => {
    const streamName = await stream(1);
    await putRaw(client, streamName, fixtures(2));
    const outcomes: unknown[] = [];
    const recorder = new Recorder();
    const c = consumer({
      streamName,
      processorFactory: recorder.factory({
        checkpointEachBatch: false,
        onBatch: async (_, { records, checkpointer }) => {
          const beyond = (BigInt(records.at(-1)!.sequenceNumber) + 1n).toString();
          outcomes.push(await checkpointer.checkpoint(beyond).catch((e) => e));
          throw new Error('processor failed');
        },
      }),
    });
    const errors: unknown[] = [];
    c.on('error', (e) => errors.push(e));
    await c.start();
    await eventually(() => errors.length >= 1);
    expect(outcomes[0]).toBeInstanceOf(InvalidCheckpointError);
    expect((errors[0] as Error).message).toBe('processor failed');
  });

  it('rejects start() for a stream that does not exist', async () => {
    const c = consumer({ streamName: uniqueName('missing'), processorFactory: new Recorder().factory() });
    await expect(c.start()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('delivers records put one by one in order with their metadata', async () => {
    const streamName = await stream(1);
    const put = await client.send(
      new PutRecordCommand({ StreamName: streamName, Data: Buffer.from('x'), PartitionKey: 'pk' }),
    );
    const recorder = new Recorder();
    await consumer({ streamName, processorFactory: recorder.factory() }).start();
    await eventually(() => recorder.records.length >= 1);
    expect(recorder.records[0]).toMatchObject({
      partitionKey: 'pk',
      sequenceNumber: put.SequenceNumber,
      subSequenceNumber: 0,
      aggregated: false,
      shardId: put.ShardId,
    });
    expect(recorder.records[0].approximateArrivalTimestamp).toBeInstanceOf(Date);
  });
});
