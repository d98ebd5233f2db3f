/**
 * Enhanced fan-out against kinesis-local only (kinesalite has no RegisterStreamConsumer / SubscribeToShard).
 * kinesis-local pushes an event about once a second and refuses a new subscription on a consumer and shard
 * within ~5 s of the last one (as AWS does): the reader's backoff absorbs that in every restart below.
 */
import {
  ListShardsCommand,
  SplitShardCommand,
  type ChildShard,
  type KinesisClient,
  type SubscribeToShardEvent,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { aggregate } from '../aggregation/index.js';
import { MemoryCheckpointStore } from '../checkpoint/index.js';
import { LeaseLostError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { ensureStream } from '../stream-admin.js';
import type { CheckpointStore, KinesisRecord } from '../types.js';
import { SHARD_END } from '../types.js';
import { ensureStreamConsumer, FanOutShardReader, type FanOutShardReaderOptions } from './fan-out.js';
import { injectFaults, serviceError } from '../../../../test/support/faults.js';
import { eventually, kinesisClient, uniqueName } from '../../../../test/support/harness.js';
import { putRaw } from '../../../../test/support/kinesis-helpers.js';
import { Recorder } from '../../../../test/support/recording-processor.js';

type Events = AsyncIterable<SubscribeToShardEventStream>;
const fixtures = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({ data: `r${from + i}`, key: `k${(from + i) % 3}` }));
const range = (from: number, to: number) => fixtures(from, to).map((f) => f.data);

describe('enhanced fan-out on kinesis-local', () => {
  let client: KinesisClient;
  const running: Array<{ reader: FanOutShardReader; done: Promise<unknown> }> = [];
  beforeEach(() => {
    client = kinesisClient('kinesis-local');
  });
  afterEach(async () => {
    for (const { reader } of running) reader.stop();
    await Promise.all(running.splice(0).map(({ done }) => done.catch(() => undefined)));
    client.destroy();
  });

  async function setup() {
    const streamName = uniqueName('fanout');
    await ensureStream(client, streamName, { shardCount: 1 });
    const { consumerArn } = await ensureStreamConsumer(client, streamName, 'app', { pollMs: 100 });
    const { Shards } = await client.send(new ListShardsCommand({ StreamName: streamName }));
    return { streamName, consumerArn, shardId: Shards![0].ShardId! };
  }

  function startReader(
    base: { streamName: string; consumerArn: string; shardId: string },
    o: Partial<FanOutShardReaderOptions> & Pick<FanOutShardReaderOptions, 'processor'>,
  ) {
    const errors: unknown[] = [];
    const r = new FanOutShardReader({
      client,
      ...base,
      store: new MemoryCheckpointStore(),
      startPosition: { type: 'TRIM_HORIZON' },
      pollIntervalMs: 0,
      maxRecordsPerCall: 10_000,
      maxBytesPerCall: 2 * 1024 * 1024,
      throttleBackoff: { baseMs: 200, maxMs: 1_000 },
      callProcessRecordsEvenForEmptyRecordList: false,
      logger: silentLogger,
      onThrottled: () => undefined,
      onError: (e) => void errors.push(e),
      ...o,
    });
    const done = r.run();
    running.push({ reader: r, done });
    return { reader: r, errors, done };
  }

  it('delivers every record in order with its metadata, one processRecords at a time', async () => {
    const base = await setup();
    await putRaw(client, base.streamName, fixtures(0, 10));
    const kpl = aggregate(['a0', 'a1', 'a2'].map((d) => ({ data: Buffer.from(d), partitionKey: `p-${d}` })));
    await putRaw(client, base.streamName, [{ data: kpl, key: 'agg' }]);
    let inFlight = 0;
    let maxInFlight = 0;
    const behind: Array<number | undefined> = [];
    const recorder = new Recorder();
    const { reader, done } = startReader(base, {
      processor: recorder.factory({
        onBatch: async (_shardId, { millisBehindLatest }) => {
          behind.push(millisBehindLatest);
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          await new Promise((r) => setTimeout(r, 1_500)); // several events arrive meanwhile
          inFlight--;
        },
      })(base.shardId),
    });
    // Live records while batches are being processed: events keep arriving (~1/s) during each 1.5 s batch.
    await eventually(() => inFlight > 0, { message: 'the first batch' });
    for (let i = 10; i < 25; i += 5) {
      await putRaw(client, base.streamName, fixtures(i, i + 5));
      await new Promise((r) => setTimeout(r, 1_100));
    }
    const expected = [...range(0, 10), 'a0', 'a1', 'a2', ...range(10, 25)];
    await eventually(() => recorder.records.length >= expected.length, { message: 'every record' });
    reader.stop();
    expect(await done).toEqual({ kind: 'stopped' });

    expect(recorder.datas()).toEqual(expected);
    expect(maxInFlight).toBe(1);
    expect(recorder.calls('processRecords').length).toBeGreaterThan(1);
    expect(recorder.calls('shutdownRequested')).toHaveLength(1);
    const plain = recorder.records[0];
    expect([plain.partitionKey, plain.subSequenceNumber, plain.aggregated]).toEqual(['k0', 0, false]);
    expect(plain.approximateArrivalTimestamp).toBeInstanceOf(Date);
    const sub = recorder.records.filter((r) => r.aggregated);
    expect(sub.map((r) => [r.partitionKey, r.subSequenceNumber])).toEqual([
      ['p-a0', 0],
      ['p-a1', 1],
      ['p-a2', 2],
    ]);
    expect(new Set(sub.map((r) => r.sequenceNumber)).size).toBe(1);
    const sequences = recorder.records.map((r) => BigInt(r.sequenceNumber));
    expect(sequences.every((s, i) => i === 0 || s >= sequences[i - 1])).toBe(true);
    expect(behind.every((b) => typeof b === 'number')).toBe(true);
  });

  it('checkpoints, and a restart resumes right after the checkpoint, inside a KPL aggregate', async () => {
    const base = await setup();
    const store = new MemoryCheckpointStore();
    const kpl = aggregate(
      ['a0', 'a1', 'a2', 'a3', 'a4'].map((d) => ({ data: Buffer.from(d), partitionKey: d })),
    );
    await putRaw(client, base.streamName, fixtures(0, 2));
    await putRaw(client, base.streamName, [{ data: kpl, key: 'agg' }, ...fixtures(2, 3)]);
    let checkpointed: KinesisRecord | undefined;
    const first = new Recorder();
    const run1 = startReader(base, {
      store,
      processor: first.factory({
        checkpointEachBatch: false,
        checkpointOnShutdown: false,
        onBatch: async (_id, { records, checkpointer }) => {
          const a2 = records.find((r) => r.data.toString() === 'a2');
          if (a2) await checkpointer.checkpoint((checkpointed = a2));
        },
      })(base.shardId),
    });
    await eventually(() => first.records.length >= 8, { message: 'first run' });
    run1.reader.stop();
    await run1.done;
    expect(await store.get(base.streamName, base.shardId)).toEqual({
      sequenceNumber: checkpointed!.sequenceNumber,
      subSequenceNumber: 2,
    });

    await putRaw(client, base.streamName, fixtures(3, 5));
    const second = new Recorder();
    const run2 = startReader(base, { store, processor: second.factory()(base.shardId) });
    await eventually(() => second.records.length >= 5, { message: 'second run' });
    expect(second.datas()).toEqual(['a3', 'a4', 'r2', 'r3', 'r4']);
    expect(second.calls('initialize')[0].startedFrom).toBe(checkpointed!.sequenceNumber);
    run2.reader.stop();
    await run2.done;
    const last = second.records.at(-1)!;
    expect(await store.get(base.streamName, base.shardId)).toEqual({
      sequenceNumber: last.sequenceNumber,
      subSequenceNumber: 0,
    });
  });

  it('resubscribes after errors (mid-stream and at subscribe) after the last delivered record: no loss, no repeats', async () => {
    const base = await setup();
    const positions: unknown[] = [];
    let subscribes = 0;
    injectFaults(client, {
      SubscribeToShard: async ({ input, send }) => {
        positions.push(input.StartingPosition);
        subscribes++;
        if (subscribes === 2) throw serviceError('LimitExceededException');
        const output = await send();
        return subscribes === 1 ? { ...output, EventStream: failAfterRecords(output.EventStream) } : output;
      },
    });
    await putRaw(client, base.streamName, fixtures(0, 10));
    const recorder = new Recorder();
    let throttled = 0;
    const { errors } = startReader(base, {
      processor: recorder.factory()(base.shardId),
      onThrottled: () => void throttled++,
    });
    await eventually(() => errors.length > 0, { message: 'the injected stream error' });
    await putRaw(client, base.streamName, fixtures(10, 20));
    await eventually(() => recorder.records.length >= 20, { message: 'every record' });
    await new Promise((r) => setTimeout(r, 1_500)); // one more event: nothing delivered twice

    expect(recorder.datas()).toEqual(range(0, 20));
    expect((errors[0] as Error).name).toBe('InternalFailureException');
    expect(throttled).toBeGreaterThanOrEqual(1);
    const after = { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: recorder.records[9].sequenceNumber };
    expect(positions[0]).toEqual({ Type: 'TRIM_HORIZON' });
    expect(positions.slice(1)).toEqual(positions.slice(1).map(() => after));
  });

  it('falls back to TRIM_HORIZON with a warning when the checkpointed sequence is gone', async () => {
    const base = await setup();
    await putRaw(client, base.streamName, fixtures(0, 3));
    const store = new MemoryCheckpointStore();
    // A record aged out of the stream: the service refuses a subscription at its sequence number.
    await store.set(base.streamName, base.shardId, {
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      subSequenceNumber: 0,
    });
    const positions: unknown[] = [];
    injectFaults(client, {
      SubscribeToShard: async ({ input, send }) => {
        positions.push(input.StartingPosition.Type);
        if (input.StartingPosition.Type === 'AT_SEQUENCE_NUMBER')
          throw serviceError('InvalidArgumentException');
        return send();
      },
    });
    const warnings: string[] = [];
    const recorder = new Recorder();
    startReader(base, {
      store,
      processor: recorder.factory()(base.shardId),
      logger: { ...silentLogger, warn: (m: string) => void warnings.push(m) },
    });
    await eventually(() => recorder.records.length >= 3, { message: 'the shard read from its start' });
    expect(recorder.datas()).toEqual(range(0, 3));
    expect(positions.slice(0, 2)).toEqual(['AT_SEQUENCE_NUMBER', 'TRIM_HORIZON']);
    expect(warnings.some((w) => w.includes('aged out'))).toBe(true);
  });

  it('renews the subscription on the interval (2 s here, 5 min by default) without loss or repeats', async () => {
    const base = await setup();
    let subscribed = 0;
    injectFaults(client, {
      SubscribeToShard: async ({ send }) => {
        const output = await send();
        subscribed++;
        return output;
      },
    });
    const recorder = new Recorder();
    const { errors } = startReader(base, {
      processor: recorder.factory()(base.shardId),
      subscriptionRenewMs: 2_000,
    });
    for (let i = 0; i < 36; i++) {
      await putRaw(client, base.streamName, fixtures(i, i + 1));
      await new Promise((r) => setTimeout(r, 250));
    }
    await eventually(() => recorder.records.length >= 36, { message: 'every record' });
    expect(subscribed).toBeGreaterThanOrEqual(2);
    expect(recorder.datas()).toEqual(range(0, 36));
    expect(errors).toEqual([]);
  });

  it('shard end after a split: outcome ended with the child shards, SHARD_END checkpointed', async () => {
    const base = await setup();
    const store = new MemoryCheckpointStore();
    await putRaw(client, base.streamName, fixtures(0, 5));
    await client.send(
      new SplitShardCommand({
        StreamName: base.streamName,
        ShardToSplit: base.shardId,
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await eventually(async () => (await childShardsOf(client, base.streamName, base.shardId)).length === 2, {
      message: 'two children',
    });
    const children = await childShardsOf(client, base.streamName, base.shardId);
    // kinesis-local 0.6.2 never ends a closed shard's subscription (no ChildShards event): play AWS's last
    // event, with the real children, once the parent's records went through.
    injectFaults(client, {
      SubscribeToShard: async ({ send }) => {
        const output = await send();
        return { ...output, EventStream: endAfterRecords(output.EventStream, 5, children) };
      },
    });
    const recorder = new Recorder();
    const { done } = startReader(base, { store, processor: recorder.factory()(base.shardId) });
    const outcome = await done;

    expect(outcome).toEqual({ kind: 'ended', finished: true, childShards: children });
    expect(children.map((c) => c.ParentShards)).toEqual([[base.shardId], [base.shardId]]);
    expect(recorder.datas()).toEqual(range(0, 5));
    expect(recorder.calls('shardEnded')).toHaveLength(1);
    expect(await store.get(base.streamName, base.shardId)).toEqual({
      sequenceNumber: SHARD_END,
      subSequenceNumber: 0,
    });
  });

  it('leaseLost: a checkpoint refused with LeaseLostError, or loseLease(), ends the reader with leaseLost, no shutdown', async () => {
    const base = await setup();
    const store: CheckpointStore = {
      get: async () => undefined,
      set: async (_stream, shardId) => {
        throw new LeaseLostError(shardId);
      },
    };
    await putRaw(client, base.streamName, fixtures(0, 3));
    const recorder = new Recorder();
    const { done } = startReader(base, { store, processor: recorder.factory()(base.shardId) });
    expect(await done).toEqual({ kind: 'leaseLost' });
    expect(recorder.calls('leaseLost')).toHaveLength(1);
    expect(recorder.calls('shutdownRequested')).toHaveLength(0);

    // The lease coordinator's way: the lease is gone while the subscription is open.
    const other = new Recorder();
    const running = startReader(base, { processor: other.factory()(base.shardId) });
    await eventually(() => other.records.length >= 3, { message: 'records' });
    running.reader.loseLease();
    expect(await running.done).toEqual({ kind: 'leaseLost' });
    expect(other.calls('leaseLost')).toHaveLength(1);
    expect(other.calls('shutdownRequested')).toHaveLength(0);
  });
});

/** The real events, then an InternalFailureException right after the first one that carried records. */
async function* failAfterRecords(events: Events): Events {
  for await (const event of events) {
    yield event;
    if (event.SubscribeToShardEvent?.Records?.length)
      throw serviceError('InternalFailureException', 'injected', 'server');
  }
}

/** The real events until `count` records went through, then AWS's last event of a closed shard. */
async function* endAfterRecords(events: Events, count: number, children: ChildShard[]): Events {
  let seen = 0;
  for await (const event of events) {
    yield event;
    seen += event.SubscribeToShardEvent?.Records?.length ?? 0;
    if (seen >= count) {
      // The SDK types the continuation as always there; at a shard's end AWS sends none.
      const last = { Records: [], MillisBehindLatest: 0, ChildShards: children };
      yield { SubscribeToShardEvent: last as unknown as SubscribeToShardEvent };
      return;
    }
  }
}

async function childShardsOf(
  client: KinesisClient,
  streamName: string,
  parent: string,
): Promise<ChildShard[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  return Shards.filter((s) => s.ParentShardId === parent).map((s) => ({
    ShardId: s.ShardId!,
    ParentShards: [parent],
    HashKeyRange: s.HashKeyRange!,
  }));
}
