/**
 * What one hostile writer of the act stream can make the server do: replies written, memory held, log bytes.
 * Each case prints its numbers ([hostile] lines) and asserts the bounds of the trust boundary (SECURITY.md).
 */
import { DeleteStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate, ensureStream, MAX_HASH_KEY } from '../../libs/kinesis/src/index.js';
import { readAll } from '../support/stream-reader.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import {
  aggregateOfRepeated,
  CapturedLogs,
  heapUsedMb,
  heldByServer,
  putRaw,
  report,
  startLoggedService,
} from './hostile-support.js';
import type { RunningService } from './fixtures.js';

const stat = (service: RunningService, name: string): number =>
  (service.server.stats as unknown as Record<string, number>)[name] ?? 0;

describe('hostile act-stream records on kinesalite', () => {
  let admin: KinesisClient;
  const logs = new CapturedLogs();
  let service: RunningService | undefined;
  const streams: string[] = [];

  /** Fresh act and res streams (1 shard each) and a server reading them. */
  async function serve(options: Record<string, unknown> = {}) {
    const actStream = uniqueName('act');
    const resStream = uniqueName('res');
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    streams.push(actStream, resStream);
    service = await startLoggedService(
      { endpoint: kinesisEndpoint('kinesalite'), region: 'us-east-1', actStream, resStream, ...options },
      logs,
    );
    logs.clear(); // only what records cause, not Nest's start-up lines
    return { actStream, resStream, service };
  }

  beforeAll(() => {
    admin = kinesisClient('kinesalite');
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    // The emulator is shared by the whole run: give back the hundreds of MB these records take.
    for (const stream of streams.splice(0)) await admin.send(new DeleteStreamCommand({ StreamName: stream }));
  });
  afterAll(() => admin.destroy());

  it('a 1 MB aggregate of one invalid envelope is answered at most once and logged in bounded bytes', async () => {
    const { actStream, resStream, service } = await serve();
    const envelope = { v: 2, id: 'x', replyTo: { stream: resStream, hashKey: '1' } };
    const { record, count, envelopeBytes } = aggregateOfRepeated(envelope);
    const heapBefore = heapUsedMb();
    await putRaw(admin, actStream, record);
    await eventually(() => stat(service, 'invalid') >= count, { timeoutMs: 60_000, message: 'all read' });
    const held = { ...heldByServer(service.server), heapDeltaMb: heapUsedMb() - heapBefore };
    await service.close();
    const replies = (await readAll(admin, resStream)).length;
    report('1 MB aggregate of an invalid envelope', {
      recordBytes: record.length,
      envelopeBytes,
      subRecords: count,
      replies,
      ...held,
      logBytesAboveDebug: logs.bytes(),
      logLinesAboveDebug: logs.select().length,
      logBytesAll: logs.bytes('all'),
    });
    expect(replies).toBeLessThanOrEqual(1);
    expect(logs.bytes()).toBeLessThan(1_024);
  }, 120_000);

  it('40 events with 1 MB ids keep no id longer than 128 characters', async () => {
    const { actStream, service } = await serve();
    const heapBefore = heapUsedMb();
    const count = 40;
    for (let i = 0; i < count; i++) {
      const id = `${i}-`.padEnd(1_000_000, 'i');
      await putRaw(admin, actStream, Buffer.from(JSON.stringify({ v: 1, id, pattern: 'evt', data: i })));
    }
    await eventually(() => stat(service, 'events') + stat(service, 'invalid') >= count, {
      timeoutMs: 120_000,
      message: 'all read',
    });
    const held = { ...heldByServer(service.server), heapDeltaMb: heapUsedMb() - heapBefore };
    report('40 events with 1 MB ids', {
      events: stat(service, 'events'),
      invalid: stat(service, 'invalid'),
      ...held,
      logBytesAboveDebug: logs.bytes(),
    });
    expect(held.dedupeChars).toBeLessThanOrEqual(held.dedupeIds * 128);
    expect(stat(service, 'events')).toBe(0);
  }, 240_000);

  it('a request naming another existing stream as replyTo writes nothing there', async () => {
    const { actStream, service } = await serve();
    const victim = uniqueName('victim');
    await ensureStream(admin, victim, { shardCount: 1 });
    const request = {
      v: 1,
      id: 'to-victim',
      pattern: 'sum',
      data: [1, 2],
      replyTo: { stream: victim, hashKey: '1' },
    };
    await putRaw(admin, actStream, Buffer.from(JSON.stringify(request)));
    await eventually(() => stat(service, 'handled') + stat(service, 'forbiddenReplyStream') >= 1);
    await service.close();
    const written = (await readAll(admin, victim)).length;
    report('replyTo naming another stream', {
      writtenToOtherStream: written,
      forbiddenReplyStream: stat(service, 'forbiddenReplyStream'),
      logBytesAboveDebug: logs.bytes(),
    });
    expect(written).toBe(0);
    expect(stat(service, 'forbiddenReplyStream')).toBe(1);
  });

  it('5,000 requests with distinct replyTo streams create no producer for them', async () => {
    const { actStream, service } = await serve();
    const count = 5_000;
    const requests = Array.from({ length: count }, (_, i) => ({
      data: Buffer.from(
        JSON.stringify({
          v: 1,
          id: `r${i}`,
          pattern: 'sum',
          data: [i],
          replyTo: { stream: `nope-${i}`, hashKey: '1' },
        }),
      ),
      partitionKey: 'k',
    }));
    await putRaw(admin, actStream, aggregate(requests));
    await eventually(() => stat(service, 'handled') + stat(service, 'forbiddenReplyStream') >= count, {
      timeoutMs: 60_000,
      message: 'all read',
    });
    const held = heldByServer(service.server);
    await service.close();
    report('5,000 distinct replyTo streams', {
      handled: stat(service, 'handled'),
      forbiddenReplyStream: stat(service, 'forbiddenReplyStream'),
      producers: held.producers,
      logBytesAboveDebug: logs.bytes(),
      logLinesAboveDebug: logs.select().length,
    });
    expect(held.producers).toBeLessThanOrEqual(1);
    expect(stat(service, 'forbiddenReplyStream')).toBe(count);
  }, 120_000);

  it('a hashKey above 2^128-1 is refused at decode: no reply attempted, no ERROR log', async () => {
    const { actStream, resStream, service } = await serve();
    const hashKey = (MAX_HASH_KEY + 1n).toString();
    const request = {
      v: 1,
      id: 'big-key',
      pattern: 'sum',
      data: [1],
      replyTo: { stream: resStream, hashKey },
    };
    await putRaw(admin, actStream, Buffer.from(JSON.stringify(request)));
    await eventually(() => stat(service, 'handled') + stat(service, 'invalid') >= 1);
    await service.close();
    const errors = logs.lines.filter((l) => l.level === 'error');
    report('hashKey 2^128', {
      handled: stat(service, 'handled'),
      invalid: stat(service, 'invalid'),
      errorLines: errors.length,
      errorBytes: errors.reduce((n, l) => n + l.text.length, 0),
      logBytesAboveDebug: logs.bytes(),
      firstError: errors[0]?.text.slice(0, 300),
    });
    expect(errors).toEqual([]);
    expect(stat(service, 'invalid')).toBe(1);
  });
});
