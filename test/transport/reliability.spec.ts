/** Many callers, a server restart mid-traffic, redelivery, and bad input on the act and res streams. */
import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom } from 'rxjs';
import { ensureStream, MemoryCheckpointStore, Producer } from '../../libs/kinesis/src/index.js';
import { decodeReply, encodeEnvelope, type ClientKinesis } from '../../libs/transport/src/index.js';
import {
  eventually,
  KINESIS_EMULATORS,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
} from '../support/harness.js';
import { readStream } from '../support/stream-reader.js';
import { received, startClient, startService, type RunningService } from './fixtures.js';

describe.each(KINESIS_EMULATORS)('transporter reliability on %s', (emulator) => {
  let admin: KinesisClient;
  let service: RunningService;
  const apps: INestApplicationContext[] = [];
  const store = new MemoryCheckpointStore(); // survives the server restart below
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const base = () => ({ endpoint: kinesisEndpoint(emulator), region: 'us-east-1', actStream, resStream });
  async function client(options: Record<string, unknown> = {}): Promise<ClientProxy> {
    const { app, client } = await startClient({ ...base(), timeoutMs: 30_000, ...options });
    apps.push(app);
    return client;
  }
  const putRaw = (data: Buffer | string) =>
    admin.send(
      new PutRecordCommand({ StreamName: actStream, Data: Buffer.from(data), PartitionKey: randomUUID() }),
    );

  beforeAll(async () => {
    admin = kinesisClient(emulator);
    await ensureStream(admin, actStream, { shardCount: 2 });
    await ensureStream(admin, resStream, { shardCount: 2 });
    service = await startService({ ...base(), checkpointStore: store });
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await service?.close();
    admin.destroy();
  });

  it('answers 500 concurrent requests from 3 client instances, every reply to its caller', async () => {
    const callers = await Promise.all([client(), client(), client()]);
    const calls = Array.from({ length: 500 }, (_, n) => {
      const caller = `c${n % 3}`;
      return firstValueFrom(callers[n % 3].send('echo', { n, caller })).then((reply) => ({
        n,
        caller,
        reply,
      }));
    });
    const results = await Promise.all(calls);
    for (const { n, caller, reply } of results) expect(reply).toEqual({ n, caller });
  }, 120_000);

  it('loses no request with an open deadline when the server stops and starts again mid-traffic', async () => {
    const c = await client();
    const tag = uniqueName('restart');
    const calls: Promise<unknown>[] = [];
    for (let n = 0; n < 60; n++) {
      calls.push(firstValueFrom(c.send('echo', { n, caller: tag })));
      if (n === 20) await service.close();
      if (n === 40) service = await startService({ ...base(), checkpointStore: store });
      await new Promise((r) => setTimeout(r, 15));
    }
    const replies = await Promise.all(calls);
    expect(replies).toEqual(Array.from({ length: 60 }, (_, n) => ({ n, caller: tag })));
  }, 120_000);

  it('skips non-JSON records and envelopes missing fields, and keeps serving', async () => {
    const before = service.server.stats.invalid;
    await putRaw('this is not json {');
    await putRaw(JSON.stringify({ v: 1, id: 'no-pattern', data: 1 }));
    await putRaw(JSON.stringify({ v: 1, pattern: 'sum', data: [1] })); // no id
    await putRaw(JSON.stringify([1, 2, 3]));
    await eventually(() => service.server.stats.invalid - before >= 4, {
      message: '4 invalid records counted',
    });
    expect(await firstValueFrom((await client()).send('sum', [40, 2]))).toBe(42);
  });

  it('answers an unknown envelope version with a clear error reply', async () => {
    const id = randomUUID();
    await putRaw(
      JSON.stringify({ v: 2, id, pattern: 'sum', data: [1], replyTo: { stream: resStream, hashKey: '0' } }),
    );
    let reply: ReturnType<typeof decodeReply> | undefined;
    await eventually(
      async () => {
        const shards = await readStream(admin, resStream);
        const record = shards.flatMap((s) => s.records).find((r) => r.data.toString().includes(id));
        reply = record && decodeReply(record.data);
        return !!reply;
      },
      { message: 'the error reply' },
    );
    expect(reply).toMatchObject({ v: 1, id, isDisposed: true, err: { status: 'error' } });
    // A fixed reason: the version the record holds is not echoed (a reply carries no record content).
    expect((reply!.err as { message: string }).message).toBe(
      'invalid request: unsupported envelope version (this server reads v1)',
    );
  });

  it('runs a redelivered request once, and ignores replies it is not waiting for', async () => {
    const c = (await client()) as ClientKinesis;
    const hashKey = c.replyHashKey!;
    const id = randomUUID();
    const caller = uniqueName('dup');
    const request = encodeEnvelope({
      v: 1,
      id,
      pattern: 'echo',
      data: { n: 1, caller },
      replyTo: { stream: resStream, hashKey },
    });
    const duplicatesBefore = service.server.stats.duplicates;
    await putRaw(request);
    await putRaw(request);
    await eventually(() => service.server.stats.duplicates > duplicatesBefore, {
      message: 'the duplicate seen',
    });
    expect(received.calls.get(`${caller}:1`)).toBe(1);
    // Stray replies in this client's shard: an unknown id, and junk. The client ignores both.
    const producer = new Producer({ client: admin, streamName: resStream });
    await producer.put({
      data: encodeEnvelope({ v: 1, id: randomUUID(), response: 'stray', isDisposed: true }),
      partitionKey: 'x',
      explicitHashKey: hashKey,
    });
    await producer.put({ data: 'junk', partitionKey: 'x', explicitHashKey: hashKey });
    await producer.close();
    expect(await firstValueFrom(c.send('sum', [1, 1]))).toBe(2);
  });
});
