/** Deadlines, limits, context, metadata, status and shutdown semantics of the transporter. */
import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import {
  ClientClosedError,
  RequestTimeoutError,
  StreamNotFoundError,
  type ClientKinesis,
} from '../../libs/transport/src/index.js';
import {
  eventually,
  KINESIS_EMULATORS,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
} from '../support/harness.js';
import { received, startClient, startService } from './fixtures.js';

describe.each(KINESIS_EMULATORS)('transporter semantics on %s', (emulator) => {
  let service: Awaited<ReturnType<typeof startService>>;
  const apps: INestApplicationContext[] = [];
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const base = () => ({ endpoint: kinesisEndpoint(emulator), region: 'us-east-1', actStream, resStream });
  async function client(options: Record<string, unknown> = {}): Promise<ClientProxy> {
    const { app, client } = await startClient({ ...base(), ...options });
    apps.push(app);
    return client;
  }

  beforeAll(async () => {
    const admin = kinesisClient(emulator);
    await ensureStream(admin, actStream, { shardCount: 2 });
    await ensureStream(admin, resStream, { shardCount: 2 });
    admin.destroy();
    service = await startService(base());
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await service?.close();
  });

  it('fails a call past timeoutMs with RequestTimeoutError; a per-call rxjs timeout works too', async () => {
    const c = await client({ timeoutMs: 300 });
    const error = await firstValueFrom(c.send('slow', { ms: 1_500, value: 1 })).catch((e) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.message).toMatch(/no reply to "slow" within 300 ms/);
    const c2 = await client({ timeoutMs: 10_000 });
    const rx = await firstValueFrom(c2.send('slow', { ms: 1_500, value: 1 }).pipe(timeout(200))).catch(
      (e) => e,
    );
    expect(rx).toBeInstanceOf(TimeoutError);
  });

  it('skips a request whose deadline passed before it was read, and counts it', async () => {
    const c = await client({ timeoutMs: 60_000 });
    // Stop the server so the request waits in the stream past its deadline.
    await service.close();
    const short = await client({ timeoutMs: 200 });
    const late = firstValueFrom(short.send('echo', { n: -1, caller: 'late' })).catch((e) => e);
    await new Promise((r) => setTimeout(r, 400));
    service = await startService(base());
    expect(await late).toBeInstanceOf(RequestTimeoutError);
    expect(await firstValueFrom(c.send('sum', [2, 2]))).toBe(4); // the restarted server works
    expect(service.server.stats.expired).toBeGreaterThanOrEqual(1);
  });

  it('answers a reply over 1 MiB with a clear error instead of hanging', async () => {
    const c = await client({ timeoutMs: 20_000 });
    const error = await firstValueFrom(c.send('big', { bytes: 1_100_000 })).catch((e) => e);
    expect(error).toMatchObject({ status: 'error' });
    expect(error.message).toMatch(/reply of \d+ bytes exceeds the Kinesis record limit of 1048576 bytes/);
  });

  it('carries dispatch-hook metadata and the partition key into the KinesisContext', async () => {
    const c = (await client({ partitionBy: 'pattern' })) as ClientKinesis;
    c.setOnDispatchHook((packet) => {
      packet.metadata = { traceparent: '00-abc-def-01' };
    });
    const ctx = await firstValueFrom(c.send('ctx', {}));
    expect(ctx.metadata).toEqual({ traceparent: '00-abc-def-01' });
    expect(ctx.partitionKey).toBe('ctx');
    const spread = await firstValueFrom((await client()).send('ctx', {}));
    expect(spread.partitionKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(spread.metadata).toEqual({});
  });

  it('reports status, unwraps the AWS client and fails pending calls on close()', async () => {
    const c = (await client({ timeoutMs: 30_000 })) as ClientKinesis;
    const statuses: string[] = [];
    c.status.subscribe((s) => statuses.push(s));
    expect(c.unwrap<KinesisClient>()).toBeInstanceOf(KinesisClient);
    const pending = firstValueFrom(c.send('slow', { ms: 3_000, value: 1 })).catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    await c.close();
    const error = await pending;
    expect(error).toBeInstanceOf(ClientClosedError);
    expect(error.message).toMatch(/closed before the reply to "slow" arrived/);
    expect(statuses).toEqual(['connected', 'disconnected']);
    expect(() => c.unwrap()).toThrow(/Not initialized/);
  });

  it('waits for handlers in flight when the server closes', async () => {
    const c = await client({ timeoutMs: 30_000 });
    const value = uniqueName('finished');
    const reply = firstValueFrom(c.send('slow', { ms: 800, value }));
    await eventually(() => received.started.has(value), { message: 'the handler running' });
    await service.close();
    expect(await reply).toBe(value);
    service = await startService(base());
  });
});

describe('transporter against streams that do not exist', () => {
  const base = () => ({ endpoint: kinesisEndpoint('kinesalite'), region: 'us-east-1' });

  it('refuses to listen on a missing act stream with a clear error', async () => {
    const act = uniqueName('missing-act');
    const error = await startService({ ...base(), actStream: act }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamNotFoundError);
    expect(error).toMatchObject({ role: 'act', streamName: act });
    expect(error.message).toBe(`act stream "${act}" does not exist (create it, or set createStreams)`);
  });

  it('fails a client whose streams are missing with clear errors', async () => {
    const res = uniqueName('missing-res');
    await expect(startClient({ ...base(), actStream: 'x', resStream: res })).rejects.toThrow(
      `reply stream "${res}" does not exist`,
    );
    const existingRes = uniqueName('res');
    const admin = kinesisClient('kinesalite');
    await ensureStream(admin, existingRes, { shardCount: 1 });
    admin.destroy();
    // Connect reads both streams' facts (stream-checks.ts): a missing act stream fails there, not at the first put.
    const act = uniqueName('missing-act');
    const error = await startClient({ ...base(), actStream: act, resStream: existingRes }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamNotFoundError);
    expect(error).toMatchObject({ role: 'act', streamName: act });
  });
});
