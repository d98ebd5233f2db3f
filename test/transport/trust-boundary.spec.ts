/**
 * The server's trust boundary (SECURITY.md): replies only to allowed streams, refusals answered once with fixed
 * reasons, and logs that hold no payload and stay bounded whatever a record holds.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom } from 'rxjs';
import { NO_MESSAGE_HANDLER } from '@nestjs/microservices/constants.js';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { decodeReply, ENVELOPE_LIMITS } from '../../libs/transport/src/index.js';
import { readAll } from '../support/stream-reader.js';
import {
  eventually,
  KINESIS_EMULATORS,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
} from '../support/harness.js';
import { startClient, type RunningService } from './fixtures.js';
import { CapturedLogs, putRaw, startLoggedService } from './hostile-support.js';

describe.each(KINESIS_EMULATORS)('trust boundary on %s', (emulator) => {
  let admin: KinesisClient;
  let service: RunningService;
  const logs = new CapturedLogs();
  const apps: INestApplicationContext[] = [];
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const extraStream = uniqueName('res-extra');
  const base = () => ({ endpoint: kinesisEndpoint(emulator), region: 'us-east-1', actStream });
  const stats = () => service.server.stats;
  const put = (envelope: unknown) => putRaw(admin, actStream, Buffer.from(JSON.stringify(envelope)));
  const replies = async (stream: string) =>
    (await readAll(admin, stream)).map(
      (r) => decodeReply(r.data) as { id: string; err?: any; response?: any },
    );

  beforeAll(async () => {
    admin = kinesisClient(emulator);
    for (const stream of [actStream, resStream, extraStream])
      await ensureStream(admin, stream, { shardCount: 1 });
    service = await startLoggedService({ ...base(), resStream, replyStreams: [extraStream] }, logs);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await service?.close();
    admin.destroy();
  });

  it('answers a caller reading a stream of replyStreams', async () => {
    const { app, client } = await startClient({ ...base(), resStream: extraStream, timeoutMs: 20_000 });
    apps.push(app);
    expect(await firstValueFrom(client.send('sum', [1, 2]))).toBe(3);
  });

  it('refuses requests naming any other stream, valid or not: no write, counted, warned with the name cut', async () => {
    const victim = uniqueName('victim');
    await ensureStream(admin, victim, { shardCount: 1 });
    const before = stats().forbiddenReplyStream;
    const invalidBefore = stats().invalid;
    const replyTo = { stream: victim, hashKey: '1' };
    await put({ v: 1, id: 'forbidden-valid', pattern: 'sum', data: [1], replyTo });
    await put({ v: 7, id: 'forbidden-invalid', replyTo });
    await eventually(() => stats().forbiddenReplyStream - before >= 2, { message: 'both refused' });
    expect(stats().invalid).toBe(invalidBefore); // counted once: as refused for its stream, not also invalid
    expect(await readAll(admin, victim)).toEqual([]);
    const warned = logs.select().filter((l) => l.text.includes('replyTo stream not allowed'));
    expect(warned.length).toBeGreaterThanOrEqual(1);
    expect(warned[0].text).toContain(victim);
  });

  it('answers each invalid request once, with a fixed reason, and requests without a keepable id never', async () => {
    const replyTo = { stream: resStream, hashKey: '7' };
    const tooMany = Object.fromEntries(
      Array.from({ length: ENVELOPE_LIMITS.maxMetadataEntries + 1 }, (_, i) => [`k${i}`, 'SECRET']),
    );
    const cases = [
      { v: 'SECRET', id: 'bad-version', pattern: 'p', data: 1, replyTo },
      { v: 1, id: 'bad-metadata', pattern: 'p', data: 1, replyTo, metadata: tooMany },
      { v: 1, id: 'bad-deadline', pattern: 'p', data: 1, replyTo, deadline: 'SECRET' },
      { v: 1, id: 'SECRET id with spaces', pattern: 'p', data: 1, replyTo },
      { v: 1, id: 'i'.repeat(129), pattern: 'p', data: 1, replyTo },
    ];
    const before = stats().invalid;
    for (const envelope of cases) {
      await put(envelope);
      await put(envelope); // redelivered: never answered twice
    }
    await eventually(() => stats().invalid - before >= cases.length * 2, { message: 'all refused' });
    await service.close(); // flushes the replies
    const answered = (await replies(resStream)).filter((r) => r.id.startsWith('bad-'));
    expect(answered.map((r) => r.id).sort()).toEqual(['bad-deadline', 'bad-metadata', 'bad-version']);
    for (const reply of answered) {
      expect(reply.err.message).toMatch(/^invalid request: /);
      expect(JSON.stringify(reply)).not.toContain('SECRET');
    }
    service = await startLoggedService({ ...base(), resStream, replyStreams: [extraStream] }, logs);
  });

  it('logs no payload above debug and at most 1 KB per hostile record, however large its values', async () => {
    const huge = 'P'.repeat(200_000);
    const data = { card: 'DATA-4111-1111' };
    const replyTo = { stream: resStream, hashKey: '9' };
    const hostile: [string, Record<string, unknown>, () => number][] = [
      ['unknown event', { v: 1, id: 'log-1', pattern: huge, data }, () => stats().unknownEvents],
      ['unknown request', { v: 1, id: 'log-2', pattern: huge, data, replyTo }, () => stats().handled],
      ['expired', { v: 1, id: 'log-3', pattern: huge, data, replyTo, deadline: 1 }, () => stats().expired],
      ['bad version', { v: huge, id: 'log-4', pattern: huge, data, replyTo }, () => stats().invalid],
      ['long id', { v: 1, id: huge, pattern: 'evt', data }, () => stats().invalid],
      [
        'bad stream',
        { v: 1, id: 'log-6', pattern: 'sum', data, replyTo: { stream: huge, hashKey: huge } },
        () => stats().invalid,
      ],
    ];
    for (const [what, envelope, counter] of hostile) {
      logs.clear();
      const before = counter();
      await put(envelope);
      await eventually(() => counter() > before, { message: what });
      const bytes = logs.bytes();
      expect({ what, bytes: bytes < 1_024 }).toEqual({ what, bytes: true });
      for (const line of logs.select()) expect(line.text).not.toContain('DATA-4111');
    }
    const noHandler = await eventually(async () =>
      (await replies(resStream)).some((r) => r.id === 'log-2' && r.err === NO_MESSAGE_HANDLER),
    );
    expect(noHandler).toBeUndefined();
  });
});
