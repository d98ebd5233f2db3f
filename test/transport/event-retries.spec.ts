/** Event handler failures (eventRetries): retried in place, dead-lettered, redriven; on kinesalite. */
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { Controller, Module, type INestApplicationContext } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RpcException } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import {
  ensureStream,
  MemoryCheckpointStore,
  silentLogger,
  type Checkpoint,
} from '../../libs/kinesis/src/index.js';
import {
  DEAD_LETTER_KIND,
  KinesisContext,
  KinesisDeadLetterError,
  KinesisRetryableError,
  redriveDeadLetters,
  ServerKinesis,
  type ClientKinesis,
  type EventDeadLetter,
} from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { readStream } from '../support/stream-reader.js';
import { startClient, startMicroservice, type RunningService } from './fixtures.js';

interface Call {
  pattern: string;
  key: string;
  ok: boolean;
  sequenceNumber: string;
  /** Checkpoints written when the call started. */
  checkpointsBefore: number;
}
const calls: Call[] = [];
const checkpoints: Checkpoint[] = [];
/** Keys whose handler succeeds from now on. */
const healed = new Set<string>();
const callsOf = (pattern: string, key: string) => calls.filter((c) => c.pattern === pattern && c.key === key);

/** Counts each attempt; fails the first `failTimes` ones of a key with `error`. */
function attempt(pattern: string, { key, failTimes }: { key: string; failTimes: number }, ctx: unknown) {
  const n = callsOf(pattern, key).length + 1;
  const call = {
    pattern,
    key,
    ok: n > failTimes || healed.has(key),
    sequenceNumber: (ctx as KinesisContext).getSequenceNumber(),
    checkpointsBefore: checkpoints.length,
  };
  calls.push(call);
  return call.ok;
}

@Controller()
class FailingController {
  @EventPattern('flaky')
  flaky(@Payload() data: { key: string; failTimes: number }, @Ctx() ctx: unknown) {
    if (!attempt('flaky', data, ctx)) throw new Error('flaky handler failed');
  }

  @EventPattern('always')
  async always(@Payload() data: { key: string }, @Ctx() ctx: unknown) {
    attempt('always', { ...data, failTimes: Infinity }, ctx);
    // What Nest's exception filters pass on (any other error becomes "Internal server error").
    throw new RpcException(`always fails ${'x'.repeat(5_000)}`);
  }

  @EventPattern('fatal')
  fatal(@Payload() data: { key: string; failTimes: number }, @Ctx() ctx: unknown) {
    if (!attempt('fatal', data, ctx)) throw new KinesisDeadLetterError('cannot ever succeed');
  }

  @EventPattern('transient')
  transient(@Payload() data: { key: string; failTimes: number }, @Ctx() ctx: unknown) {
    if (!attempt('transient', data, ctx)) throw new KinesisRetryableError('downstream busy');
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('event handler failures (eventRetries) on kinesalite', () => {
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const deadLetterStream = uniqueName('dlq');
  const endpoint = { endpoint: kinesisEndpoint('kinesalite'), region: 'us-east-1' };
  let admin: KinesisClient;
  let service: RunningService;
  let caller: { app: INestApplicationContext; client: ClientKinesis };
  const emit = (pattern: string, data: unknown) => lastValueFrom(caller.client.emit(pattern, data));
  const deadLetters = async (): Promise<EventDeadLetter[]> =>
    (await readStream(admin, deadLetterStream))
      .flatMap((shard) => shard.records)
      .map((r) => JSON.parse(r.data.toString('utf8')));

  beforeAll(async () => {
    admin = kinesisClient('kinesalite');
    await ensureStream(admin, actStream, { shardCount: 1 }); // one shard: every event in one order
    await ensureStream(admin, resStream, { shardCount: 1 });
    await ensureStream(admin, deadLetterStream, { shardCount: 1 });
    const store = new MemoryCheckpointStore();
    const recording = {
      get: (stream: string, shard: string) => store.get(stream, shard),
      set: async (stream: string, shard: string, checkpoint: Checkpoint) => {
        checkpoints.push(checkpoint);
        await store.set(stream, shard, checkpoint);
      },
    };
    const server = new ServerKinesis({
      ...endpoint,
      actStream,
      resStream,
      pollIntervalMs: 20,
      logger: silentLogger,
      checkpointStore: recording,
      eventRetries: { attempts: 3, backoff: { baseMs: 5, maxMs: 20 }, deadLetterStream },
    });
    service = await startMicroservice(FailingModule, server);
    caller = await startClient({ ...endpoint, actStream, resStream });
  });
  afterAll(async () => {
    await caller?.app.close();
    await service?.close();
    admin?.destroy();
  });

  it('retries a failing handler in place; its record is checkpointed only after it succeeded', async () => {
    await emit('flaky', { key: 'k1', failTimes: 2 });
    await eventually(() => callsOf('flaky', 'k1').some((c) => c.ok), { message: 'the third attempt' });
    const attempts = callsOf('flaky', 'k1');
    expect(attempts.map((c) => c.ok)).toEqual([false, false, true]);
    const at = BigInt(attempts[0].sequenceNumber);
    const passes = (c: Checkpoint) => BigInt(c.sequenceNumber) >= at;
    // No checkpoint passed the record while it was failing; one does after it succeeded.
    expect(checkpoints.slice(0, attempts[2].checkpointsBefore).some(passes)).toBe(false);
    await eventually(() => checkpoints.some(passes), { message: 'the checkpoint past the record' });
    expect(service.server.stats.eventRetries).toBeGreaterThanOrEqual(2);
  });

  it('holds per-shard order: a later event waits until the failing one succeeded', async () => {
    await emit('flaky', { key: 'first', failTimes: 2 });
    await emit('flaky', { key: 'second', failTimes: 0 });
    await eventually(() => callsOf('flaky', 'second').length > 0, { message: 'the second event' });
    const order = calls.filter((c) => c.key === 'first' || c.key === 'second').map((c) => `${c.key}:${c.ok}`);
    expect(order).toEqual(['first:false', 'first:false', 'first:true', 'second:true']);
  });

  it('dead-letters an event that keeps failing: one entry with its fields, counted', async () => {
    const before = service.server.stats.eventsDeadLettered;
    await emit('always', { key: 'a1' });
    await eventually(() => service.server.stats.eventsDeadLettered > before, { message: 'the dead letter' });
    const attempts = callsOf('always', 'a1');
    expect(attempts).toHaveLength(3);
    const entries = (await deadLetters()).filter((e) => e.pattern === 'always');
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      kind: DEAD_LETTER_KIND,
      stream: actStream,
      sequenceNumber: attempts[0].sequenceNumber,
      attempts: 3,
    });
    expect(entry.shardId).toMatch(/^shardId-/);
    expect(entry.error).toMatch(/^always fails x+\.\.\.\(\d+ chars\)$/); // cut, not the whole message
    expect(entry.error.length).toBeLessThan(1_000);
    expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
    const original = JSON.parse(Buffer.from(entry.data, 'base64').toString('utf8'));
    expect(original).toMatchObject({ pattern: 'always', data: { key: 'a1' } });
  });

  it('dead-letters at once on KinesisDeadLetterError; retries KinesisRetryableError past attempts', async () => {
    const before = service.server.stats.eventsDeadLettered;
    await emit('transient', { key: 't1', failTimes: 5 });
    await emit('fatal', { key: 'f1', failTimes: 1 });
    await eventually(() => service.server.stats.eventsDeadLettered > before, { message: 'the dead letter' });
    expect(callsOf('transient', 't1').map((c) => c.ok)).toEqual([false, false, false, false, false, true]);
    expect(callsOf('fatal', 'f1')).toHaveLength(1);
    const entries = await deadLetters();
    expect(entries.filter((e) => e.pattern === 'transient')).toHaveLength(0);
    expect(entries.filter((e) => e.pattern === 'fatal')).toMatchObject([
      { attempts: 1, error: 'cannot ever succeed' },
    ]);
  });

  it('close() during retries stops retrying; the record stays uncheckpointed and is handled after a restart', async () => {
    const stream = uniqueName('act-close');
    await ensureStream(admin, stream, { shardCount: 1 });
    const store = new MemoryCheckpointStore(); // survives the restart, as a durable store would
    const options = {
      ...endpoint,
      actStream: stream,
      resStream,
      pollIntervalMs: 20,
      logger: silentLogger,
      checkpointStore: store,
      closeGracePeriodMs: 600_000, // close() must not wait for it: the retry stops at once
      eventRetries: { attempts: 2, backoff: { baseMs: 5, maxMs: 20 } }, // no dead-letter stream
    };
    let running = await startMicroservice(FailingModule, new ServerKinesis(options));
    const c = await startClient({ ...endpoint, actStream: stream, resStream });
    try {
      await lastValueFrom(c.client.emit('flaky', { key: 'c1', failTimes: 1e9 }));
      await eventually(() => callsOf('flaky', 'c1').length >= 4, { message: 'retries past attempts' });
      await running.close();
      const attempts = callsOf('flaky', 'c1').length;
      const at = BigInt(callsOf('flaky', 'c1')[0].sequenceNumber);
      const [shard] = (await readStream(admin, stream)).map((s) => s.shardId);
      const saved = await store.get(stream, shard);
      expect(saved === undefined || BigInt(saved.sequenceNumber) < at).toBe(true);
      expect(callsOf('flaky', 'c1').length).toBe(attempts); // no attempt after close()
      healed.add('c1');
      running = await startMicroservice(FailingModule, new ServerKinesis(options));
      await eventually(() => callsOf('flaky', 'c1').some((call) => call.ok), {
        message: 'the re-read event',
      });
      expect(callsOf('flaky', 'c1').every((call) => BigInt(call.sequenceNumber) === at)).toBe(true);
    } finally {
      await c.app.close();
      await running.close();
    }
  });

  it('with signing, a redriven event verifies again; an entry whose bytes were altered is refused', async () => {
    const stream = uniqueName('act-signed');
    const dlq = uniqueName('dlq-signed');
    await ensureStream(admin, stream, { shardCount: 1 });
    await ensureStream(admin, dlq, { shardCount: 1 });
    const signing = { keys: { k1: 'k'.repeat(32) } }; // required: unsigned or altered records are refused
    const running = await startMicroservice(
      FailingModule,
      new ServerKinesis({
        ...endpoint,
        actStream: stream,
        resStream,
        pollIntervalMs: 20,
        logger: silentLogger,
        signing,
        eventRetries: { attempts: 2, backoff: { baseMs: 5, maxMs: 20 }, deadLetterStream: dlq },
      }),
    );
    const c = await startClient({ ...endpoint, actStream: stream, resStream, signing });
    try {
      await lastValueFrom(c.client.emit('fatal', { key: 's1', failTimes: 1 }));
      await eventually(() => running.server.stats.eventsDeadLettered === 1, { message: 'the dead letter' });
      const [entry] = (await readStream(admin, dlq))[0].records.map((r) =>
        JSON.parse(r.data.toString('utf8')),
      );
      const altered = Buffer.from(entry.data, 'base64').toString('utf8').replace('"s1"', '"s2"');
      await admin.send(
        new PutRecordCommand({
          StreamName: dlq,
          PartitionKey: 'x',
          Data: Buffer.from(JSON.stringify({ ...entry, data: Buffer.from(altered).toString('base64') })),
        }),
      );
      const result = await redriveDeadLetters({
        client: admin,
        deadLetterStream: dlq,
        actStream: stream,
        signing,
      });
      expect(result).toMatchObject({ redriven: 1, refused: 1 });
      await eventually(() => callsOf('fatal', 's1').some((call) => call.ok), {
        message: 'the redriven event',
      });
      expect(running.server.stats.badSignature).toBe(0);
      expect(callsOf('fatal', 's2')).toHaveLength(0);
    } finally {
      await c.app.close();
      await running.close();
    }
  });

  it('redrives a dead-lettered event (the handler runs again) and refuses records that are not ours', async () => {
    const before = service.server.stats.eventsDeadLettered;
    await emit('fatal', { key: 'r1', failTimes: 1 });
    await eventually(() => service.server.stats.eventsDeadLettered > before, { message: 'the dead letter' });
    const ours = (await deadLetters()).find((e) => e.pattern === 'fatal' && e.data.length > 0)!;
    const hostile = [
      'not json',
      JSON.stringify({ ...ours, stream: 'another-act' }), // another act stream's entry
      JSON.stringify({ ...ours, pattern: 'fatal', data: Buffer.from('no envelope').toString('base64') }),
      JSON.stringify({ ...ours, kind: 'someone-else' }),
    ];
    for (const data of hostile)
      await admin.send(
        new PutRecordCommand({ StreamName: deadLetterStream, PartitionKey: 'x', Data: Buffer.from(data) }),
      );
    const result = await redriveDeadLetters({
      client: admin,
      deadLetterStream,
      actStream,
      filter: (entry) =>
        entry.pattern === 'fatal' && entry.sequenceNumber !== callsOf('fatal', 'f1')[0].sequenceNumber,
    });
    expect(result).toMatchObject({ redriven: 1, refused: 4 });
    await eventually(() => callsOf('fatal', 'r1').some((c) => c.ok), { message: 'the redriven event' });
    expect(callsOf('fatal', 'r1').map((c) => c.ok)).toEqual([false, true]);
  });

  it('refuses an entry whose partition key Kinesis would reject, and the redrive goes on', async () => {
    const before = service.server.stats.eventsDeadLettered;
    await emit('fatal', { key: 'pk1', failTimes: 1 });
    await eventually(() => service.server.stats.eventsDeadLettered > before, { message: 'the dead letter' });
    // Positions at the tip first (every entry skipped, one kept as a model): the second run reads only what follows.
    let ours: EventDeadLetter | undefined;
    const { positions } = await redriveDeadLetters({
      client: admin,
      deadLetterStream,
      actStream,
      filter: (entry) => ((ours ??= entry), false),
    });
    await admin.send(
      new PutRecordCommand({
        StreamName: deadLetterStream,
        PartitionKey: 'x',
        Data: Buffer.from(JSON.stringify({ ...ours, partitionKey: 'k'.repeat(300) })),
      }),
    );
    expect(ours).toBeDefined();
    const result = await redriveDeadLetters({ client: admin, deadLetterStream, actStream, after: positions });
    expect(result).toMatchObject({ redriven: 0, refused: 1 });
  });
});
