/**
 * The client's side of the trust boundary: anyone who can write the res stream can put any record on a client's
 * reply shard. Such records are skipped and counted, logged in bounded lines without payload, and never stop
 * or disturb the genuine reply that follows them.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom } from 'rxjs';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { MAX_REPLY_DEPTH, type ClientKinesisOptions } from '../../libs/transport/src/index.js';
import { kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { startClient } from './fixtures.js';
import { ActStreamTap, putReply, recordingLogger } from './raw-peer.js';

const MARK = 'PAYLOAD-MARK';

describe('hostile records on the reply shard, on kinesalite', () => {
  let admin: KinesisClient;
  const apps: INestApplicationContext[] = [];

  beforeAll(() => {
    admin = kinesisClient('kinesalite');
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    admin.destroy();
  });

  /** A client on fresh streams (no server: the test answers), and a tap on its act stream. */
  async function caller(options: ClientKinesisOptions = {}) {
    const actStream = uniqueName('act');
    const resStream = uniqueName('res');
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    const logger = recordingLogger();
    const endpoint = kinesisEndpoint('kinesalite');
    const { app, client } = await startClient({
      endpoint,
      region: 'us-east-1',
      actStream,
      resStream,
      logger,
      ...options,
    });
    apps.push(app);
    return { client, logger, tap: new ActStreamTap(admin, actStream) };
  }

  it('skips and counts what is not a reply to a waiting call; the genuine reply still answers', async () => {
    const { client, logger, tap } = await caller({ timeoutMs: 20_000 });
    const answer = firstValueFrom(client.send('sum', [1, 2]));
    const { id, replyTo } = await tap.next();
    const deep = `${'['.repeat(MAX_REPLY_DEPTH + 10)}"${MARK}"${']'.repeat(MAX_REPLY_DEPTH + 10)}`;
    const hostile = [
      `${MARK} {`, // not JSON
      `["${MARK}"]`, // not an object
      `{"v":1,"id":"${id}","response":${deep},"isDisposed":true}`, // for our call, but too deep
      JSON.stringify({ v: 1, id: 'i'.repeat(300_000), response: MARK, isDisposed: true }), // unsafe id
      JSON.stringify({ v: 'V'.repeat(100_000), id, response: MARK, isDisposed: true }), // bad version
      JSON.stringify({ v: 1, id: 'another-call', response: MARK, isDisposed: true }), // not ours
    ];
    for (const data of hostile) await putReply(admin, replyTo!, data);
    await putReply(admin, replyTo!, JSON.stringify({ v: 1, id, response: 42, isDisposed: true }));

    expect(await answer).toBe(42);
    expect(client.stats).toEqual({ replies: 1, ignored: 1, invalid: 5, unsigned: 0, badSignature: 0 });
    // One warning, the others at debug (rate-bounded: the writer chooses how many); no line quotes a payload.
    expect(logger.lines.filter((l) => !l.startsWith('debug'))).toHaveLength(1);
    expect(logger.lines).toHaveLength(5);
    for (const line of logger.lines) {
      expect(line.length).toBeLessThan(400);
      expect(line).not.toContain(MARK);
    }
  });

  it('a record its deserializer throws or fails on neither stops the reply shard nor escapes', async () => {
    const deserializer = {
      deserialize(packet: { response?: unknown }) {
        if (packet.response === 'throw') throw new Error(`cannot read ${MARK}`);
        if (packet.response === 'reject') return Promise.reject(new Error('rejected'));
        if (packet.response === 'nothing') return null;
        return packet;
      },
    };
    const { client, tap } = await caller({ timeoutMs: 20_000, deserializer: deserializer as never });
    const answer = firstValueFrom(client.send('sum', [1, 2]));
    const { id, replyTo } = await tap.next();
    for (const response of ['throw', 'reject', 'nothing', 42])
      await putReply(admin, replyTo!, JSON.stringify({ v: 1, id, response, isDisposed: true }));

    expect(await answer).toBe(42);
    expect(client.stats).toMatchObject({ replies: 1, invalid: 3 });
  });
});
