import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import {
  KINESIS_EMULATORS,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
  eventually,
} from '../support/harness.js';
import { received, startClient, startService, type RunningService } from './fixtures.js';

describe.each(KINESIS_EMULATORS)('Kinesis transporter on %s', (emulator) => {
  let service: RunningService;
  let clientApp: INestApplicationContext;
  let client: ClientProxy;
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const base = () => ({ endpoint: kinesisEndpoint(emulator), region: 'us-east-1', actStream, resStream });

  beforeAll(async () => {
    const admin = kinesisClient(emulator);
    await ensureStream(admin, actStream, { shardCount: 2 });
    await ensureStream(admin, resStream, { shardCount: 2 });
    admin.destroy();
    service = await startService(base());
    ({ app: clientApp, client } = await startClient({ ...base(), timeoutMs: 10_000 }));
  });
  afterAll(async () => {
    await clientApp?.close();
    await service?.close();
  });

  it('answers string and object patterns', async () => {
    expect(await firstValueFrom(client.send('sum', [1, 2, 3]))).toBe(6);
    expect(await firstValueFrom(client.send({ v: 1, cmd: 'greet' }, 'kinesis'))).toBe('hello kinesis');
  });

  it('delivers events', async () => {
    const marker = uniqueName('event');
    await firstValueFrom(client.emit('evt', { marker }), { defaultValue: undefined });
    await eventually(() => received.events.some((e) => (e as { marker: string }).marker === marker));
  });

  it("passes an RpcException intact, gives a thrown error Nest's shape, and a missing handler Nest's message", async () => {
    await expect(firstValueFrom(client.send('fail.rpc', {}))).rejects.toEqual({
      code: 'E_NOPE',
      message: 'not allowed',
    });
    await expect(firstValueFrom(client.send('fail.throw', {}))).rejects.toEqual({
      status: 'error',
      message: 'Internal server error',
    });
    await expect(firstValueFrom(client.send('no.such.pattern', {}))).rejects.toBe(
      'There is no matching message handler defined in the remote service.',
    );
  });

  it('streams an Observable of 100 values in order', async () => {
    const values = await lastValueFrom(client.send('stream', { count: 100 }).pipe(toArray()));
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('gives the handler its KinesisContext', async () => {
    const ctx = await firstValueFrom(client.send('ctx', {}));
    expect(ctx.shardId).toMatch(/^shardId-/);
    expect(ctx.sequenceNumber).toMatch(/^\d+$/);
    expect(ctx.pattern).toBe('ctx');
    expect(new Date(ctx.arrival).getTime()).toBeGreaterThan(0);
  });
});
