/**
 * Envelope signing end to end: a signing client signs what it writes and takes only signed replies; a signing
 * server answers only records signed with one of its keys, and counts and logs the others without a reply.
 */
import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { ClientKinesis, ServerKinesis } from '../../libs/transport/src/index.js';
import {
  EnvelopeSigner,
  SigningOptionsError,
  type SigningOptions,
} from '../../libs/transport/src/native/signing.js';
import {
  eventually,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
  type KinesisEmulator,
} from '../support/harness.js';
import { readAll } from '../support/stream-reader.js';
import { received, startClient, startService, type RunningService } from './fixtures.js';
import { ActStreamTap, putRaw, putReply, recordingLogger } from './raw-peer.js';

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const FORGED = 'FORGED-PAYLOAD';
const envelopeJson = (value: object) => Buffer.from(JSON.stringify(value));

describe('signing options', () => {
  it('are checked when the client or server is created, naming the option and never the key', () => {
    const short = { keys: { k1: 'too-short-secret' } };
    for (const create of [
      () => new ClientKinesis({ signing: short }),
      () => new ServerKinesis({ signing: short }),
    ])
      expect(create).toThrow(
        new SigningOptionsError('signing: keys["k1"] is shorter than 32 bytes (use 32 random bytes or more)'),
      );
    expect(() => new ClientKinesis({ protocol: 'seneca', signing: { keys: { k1: OLD } } })).toThrow(
      /Seneca acts carry no signature/,
    );
    // The server too (the README promises it): a Seneca-only server could never verify what it reads.
    expect(() => new ServerKinesis({ protocol: 'seneca', signing: { keys: { k1: OLD } } })).toThrow(
      new SigningOptionsError(
        "signing: Seneca acts carry no signature; use it with protocol 'native' (or 'auto' to serve both)",
      ),
    );
  });
});

describe.each([
  ['kinesalite', 'polling'],
  ['kinesis-local', 'enhanced fan-out'],
] as [KinesisEmulator, string][])('a signing client on %s (%s)', (emulator, reading) => {
  let admin: KinesisClient;
  let app: INestApplicationContext;

  beforeAll(() => {
    admin = kinesisClient(emulator);
  });
  afterAll(async () => {
    await app?.close();
    admin.destroy();
  });

  it('signs its requests and events, and takes only replies signed with a configured key', async () => {
    const actStream = uniqueName('act');
    const resStream = uniqueName('res');
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    const logger = recordingLogger();
    const started = await startClient({
      endpoint: kinesisEndpoint(emulator),
      region: 'us-east-1',
      actStream,
      resStream,
      logger,
      timeoutMs: 30_000,
      signing: { keys: { old: OLD } },
      ...(reading === 'polling' ? {} : { fanOut: { consumerName: uniqueName('caller') } }),
    });
    app = started.app;
    const client = started.client;
    const server = new EnvelopeSigner({ keys: { old: OLD } }); // the test answers as the server would
    const tap = new ActStreamTap(admin, actStream);

    const answer = firstValueFrom(client.send('sum', [1, 2]));
    const { id, replyTo, data } = await tap.next();
    expect(server.check('request', actStream, data)).toBeUndefined();
    await client.emit('evt', { n: 1 }).toPromise();
    expect(server.check('request', actStream, (await tap.next()).data)).toBeUndefined();

    const reply = (response: string) => envelopeJson({ v: 1, id, response, isDisposed: true });
    const stranger = new EnvelopeSigner({ keys: { intruder: randomBytes(32) } });
    const sameIdOtherKey = new EnvelopeSigner({ keys: { old: randomBytes(32) } });
    const forgeries = [
      reply(FORGED), // unsigned
      sameIdOtherKey.sign('reply', resStream, reply(FORGED)), // wrong mac
      stranger.sign('reply', resStream, reply(FORGED)), // unknown key id
      server.sign('request', resStream, reply(FORGED)), // signed for the other direction
      server.sign('reply', `${resStream}-other`, reply(FORGED)), // signed for another reply stream
    ];
    for (const forged of forgeries) await putReply(admin, replyTo!, forged);
    await putReply(admin, replyTo!, server.sign('reply', resStream, reply('genuine')));

    expect(await answer).toBe('genuine');
    expect(client.stats).toMatchObject({ replies: 1, unsigned: 1, badSignature: 4 });
    expect(logger.lines.join('\n')).not.toContain(FORGED);
  });
});

describe('a signing server on kinesalite', () => {
  let admin: KinesisClient;
  const services: RunningService[] = [];
  const apps: INestApplicationContext[] = [];
  const endpoint = kinesisEndpoint('kinesalite');

  beforeAll(() => {
    admin = kinesisClient('kinesalite');
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await Promise.all(services.map((s) => s.close()));
    admin.destroy();
  });

  async function streams() {
    const names = { actStream: uniqueName('act'), resStream: uniqueName('res') };
    await ensureStream(admin, names.actStream, { shardCount: 1 });
    await ensureStream(admin, names.resStream, { shardCount: 1 });
    return names;
  }
  async function service(names: object, signing: SigningOptions, logger = recordingLogger()) {
    const running = await startService({ endpoint, region: 'us-east-1', ...names, signing, logger });
    services.push(running);
    return running.server;
  }
  async function caller(names: object, signing?: SigningOptions) {
    const { app, client } = await startClient({
      endpoint,
      region: 'us-east-1',
      ...names,
      signing,
      timeoutMs: 20_000,
    });
    apps.push(app);
    return client;
  }
  const replyIds = async (resStream: string) =>
    (await readAll(admin, resStream)).map((r) => (JSON.parse(r.data.toString()) as { id: string }).id);

  it('answers calls, streams and events signed with its key, and signs its replies', async () => {
    const names = await streams();
    await service(names, { keys: { k1: OLD } });
    const client = await caller(names, { keys: { k1: OLD } }); // required: takes signed replies only
    expect(await firstValueFrom(client.send('sum', [1, 2]))).toBe(3);
    expect(await lastValueFrom(client.send('stream', { count: 3 }).pipe(toArray()))).toEqual([0, 1, 2]);
    await client.emit('evt', { signed: names.actStream }).toPromise();
    await eventually(() =>
      received.events.some((e) => (e as { signed?: string }).signed === names.actStream),
    );
    const verifier = new EnvelopeSigner({ keys: { k1: OLD } });
    for (const record of await readAll(admin, names.resStream))
      expect(verifier.check('reply', names.resStream, record.data)).toBeUndefined();
  });

  it('refuses, counts and never answers what a writer without the key wrote; signed calls still answered', async () => {
    const names = await streams();
    const logger = recordingLogger();
    const server = await service(names, { keys: { k1: OLD } }, logger);
    const client = await caller(names, { keys: { k1: OLD } });
    const replyTo = {
      stream: names.resStream,
      hashKey: client.replyHashKey!,
    };
    const request = (id: string) =>
      envelopeJson({ v: 1, id, pattern: 'sum', data: FORGED, replyTo, deadline: Date.now() + 60_000 });
    await putRaw(admin, names.actStream, request('forged-unsigned'));
    await putRaw(
      admin,
      names.actStream,
      new EnvelopeSigner({ keys: { k1: NEW } }).sign('request', names.actStream, request('forged-mac')),
    );
    await putRaw(
      admin,
      names.actStream,
      new EnvelopeSigner({ keys: { k9: NEW } }).sign('request', names.actStream, request('forged-kid')),
    );
    const senecaAct = {
      id: 'aaaaaaaaaaaa/bbbbbbbbbbbb',
      kind: 'act',
      origin: 'x',
      track: ['x'],
      sync: true,
      act: { cmd: 'greet', v: 1 },
    };
    await putRaw(admin, names.actStream, envelopeJson(senecaAct), 'seneca_any_act');

    expect(await firstValueFrom(client.send('sum', [2, 3]))).toBe(5); // written after them on the same shard
    expect(server.stats).toMatchObject({ unsigned: 2, badSignature: 2, handled: 1 });
    const ids = await replyIds(names.resStream);
    expect(ids).toHaveLength(1);
    expect(ids).not.toContain('forged-unsigned');
    // Each refusal logged (at warn, then rate-bounded to debug), by position and key id, never the payload.
    expect(logger.lines.filter((l) => / refused/.test(l))).toHaveLength(4);
    expect(logger.lines.filter((l) => l.startsWith('warn') && / refused/.test(l)).length).toBeGreaterThan(0);
    expect(logger.lines.join('\n')).not.toContain(FORGED);

    // A copy of a genuine signed request is still one request: the dedupe window catches it.
    const tap = new ActStreamTap(admin, names.actStream);
    const verifier = new EnvelopeSigner({ keys: { k1: OLD } });
    let signed;
    do signed = await tap.next();
    while (verifier.check('request', names.actStream, signed.data));
    await putRaw(admin, names.actStream, signed.data);
    expect(await firstValueFrom(client.send('sum', [3, 4]))).toBe(7);
    expect(server.stats).toMatchObject({ duplicates: 1, handled: 2 });
  });

  it('refuses a signed request copied onto another act stream served with the same key', async () => {
    const [first, second] = [await streams(), await streams()];
    await service(first, { keys: { k1: OLD } });
    const other = await service(second, { keys: { k1: OLD } });
    const tap = new ActStreamTap(admin, first.actStream);
    expect(await firstValueFrom((await caller(first, { keys: { k1: OLD } })).send('sum', [1, 2]))).toBe(3);
    // The same bytes on the other service's act stream: its replyTo (first.resStream) is not one it may answer
    // to anyway, so the refusal is by signature, before anything else is looked at.
    await putRaw(admin, second.actStream, (await tap.next()).data);
    const client = await caller(second, { keys: { k1: OLD } });
    expect(await firstValueFrom(client.send('sum', [2, 2]))).toBe(4); // written after the copy, same shard
    expect(other.stats).toMatchObject({ badSignature: 1, unsigned: 0, handled: 1, forbiddenReplyStream: 0 });
  });

  it('rotates keys: both keys served while both are configured, the old one refused once removed', async () => {
    const both = { old: OLD, new: NEW };
    const before = await streams();
    await service(before, { keys: both, keyId: 'new' });
    const onOld = await caller(before, { keys: both, keyId: 'old' });
    const onNew = await caller(before, { keys: both, keyId: 'new' });
    expect(await firstValueFrom(onOld.send('sum', [1, 1]))).toBe(2);
    expect(await firstValueFrom(onNew.send('sum', [2, 2]))).toBe(4);

    const after = await streams();
    const server = await service(after, { keys: { new: NEW } });
    const stillOld = await caller(after, { keys: both, keyId: 'old' });
    const refused = stillOld.send('sum', [1, 1]).subscribe({ error: () => undefined });
    await eventually(async () => (await readAll(admin, after.actStream)).length === 1);
    const renewed = await caller(after, { keys: { new: NEW } });
    expect(await firstValueFrom(renewed.send('sum', [3, 3]))).toBe(6); // after the old-signed one, same shard
    refused.unsubscribe();
    expect(server.stats).toMatchObject({ badSignature: 1, handled: 1 });
    expect(await replyIds(after.resStream)).toHaveLength(1);
  });
});
