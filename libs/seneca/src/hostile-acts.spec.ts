/** Acts written by someone other than a Seneca client: refused, bounded, and never able to redirect a reply. */
import { ensureStream } from '../../kinesis/src/index.js';
import { KINESIS_EMULATORS, eventually, uniqueName } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { readAll } from '../../../test/support/stream-reader.js';
import {
  RecordingLogger,
  act,
  captureConsole,
  mathActions,
  ready,
  senecaStreams,
  transportOf,
  type SenecaApp,
  type SenecaPool,
} from '../test/seneca-fixtures.js';
import type { KinesisSenecaOptions } from './options.js';

const json = (data: Buffer) => JSON.parse(data.toString('utf8'));
const request = (id: string, extra: object = {}) =>
  JSON.stringify({
    id,
    kind: 'act',
    origin: 'writer',
    sync: true,
    act: { role: 'math', cmd: 'note' },
    ...extra,
  });

/** A listener whose Seneca logs at warn and above (the pool's are silent): what seneca-transport logs shows. */
async function loggingListener(pool: SenecaPool, options: KinesisSenecaOptions): Promise<SenecaApp> {
  const seneca = pool.create(options, { log: 'warn' });
  mathActions()(seneca);
  seneca.listen({ type: 'kinesis' });
  return ready(seneca);
}

describe.each(KINESIS_EMULATORS)('Seneca listener, hostile acts on %s', (emulator) => {
  const streams = senecaStreams(emulator);

  it('refuses acts whose id is not a safe id (1 MB, 129 characters, a newline): no run, no reply, short logs', async () => {
    const { client, pool, actStream, resStream } = streams();
    const logger = new RecordingLogger();
    const calls: Array<{ msg: any; meta: any }> = [];
    await pool.listener(mathActions(calls), {}, { logger });
    const caller = await pool.client();

    await putRaw(client, actStream, [
      { key: 'seneca_any_act', data: request('x'.repeat(1_000_000)) },
      { key: 'seneca_any_act', data: request('y'.repeat(129)) },
      { key: 'seneca_any_act', data: request('line\nbreak/zzzzzzzzzzzz') },
      { key: 'seneca_any_act', data: request('mmmmmmmmmmmm/tttttttttttt', { origin: 'o'.repeat(300) }) },
    ]);
    expect(await act(caller, { role: 'math', cmd: 'sum', left: 1, right: 1 })).toEqual({ answer: 2 });

    const reasons = logger.entries
      .filter((e) => e.message === 'act-stream record skipped')
      .map((e) => e.context.reason);
    expect(reasons).toEqual([
      'id is not a safe id',
      'id is not a safe id',
      'id is not a safe id',
      'origin is not a bounded string',
    ]);
    expect(calls.map((c) => c.msg.cmd)).toEqual(['sum']);
    expect(await readAll(client, resStream)).toHaveLength(1);
    expect(JSON.stringify(logger.entries).length).toBeLessThan(20_000);
  });

  it('replies only on its res stream, keyed by its own topic, whatever the record names', async () => {
    const { client, pool, actStream, resStream } = streams();
    const elsewhere = uniqueName('seneca-elsewhere');
    await ensureStream(client, elsewhere, { shardCount: 1 });
    const calls: Array<{ msg: any; meta: any }> = [];
    await pool.listener(mathActions(calls));

    await putRaw(client, actStream, [
      {
        key: 'seneca_any_act',
        data: request('aaaaaaaaaaaa/bbbbbbbbbbbb', {
          replyTo: { stream: elsewhere },
          resStream: elsewhere,
          stream: elsewhere,
          partitionKey: 'victim_res',
          topic: 'victim',
          act: { role: 'math', cmd: 'note', resStream: elsewhere, topic$: 'victim' },
        }),
      },
    ]);
    await eventually(async () => (await readAll(client, resStream)).length === 1, { message: 'the reply' });

    const [reply] = await readAll(client, resStream);
    expect(reply.partitionKey).toBe('seneca_any_res');
    expect(json(reply.data)).toMatchObject({ id: 'aaaaaaaaaaaa/bbbbbbbbbbbb', res: { noted: true } });
    expect(await readAll(client, elsewhere)).toEqual([]);
  });

  it.each([false, true])(
    'answers a looping act with message_loop, code and a fixed message (exposeErrors %s), without logging the act',
    async (exposeErrors) => {
      const { client, pool, actStream, resStream } = streams();
      const logger = new RecordingLogger();
      const listener = await loggingListener(pool, { exposeErrors, logger });
      const output = captureConsole();
      try {
        await putRaw(client, actStream, [
          {
            key: 'seneca_any_act',
            data: request('cccccccccccc/dddddddddddd', {
              track: [listener.id],
              act: { role: 'math', cmd: 'note', payload: 'P'.repeat(200_000) },
            }),
          },
        ]);
        await eventually(async () => (await readAll(client, resStream)).length === 1, {
          message: 'the reply',
        });
      } finally {
        output.restore();
      }

      const reply = json((await readAll(client, resStream))[0].data);
      expect(reply).not.toHaveProperty('input');
      expect(reply.error).toEqual({
        code: 'message_loop',
        message: 'seneca: Inbound message rejected as looping back to this server.',
        name: 'Error',
        seneca: true,
      });
      // seneca-transport would log the whole act (200 KB) at warn: answered before it.
      expect(output.text().includes('PPPP')).toBe(false); // (not toContain: it would print 200 KB)
      expect(JSON.stringify(logger.entries)).not.toContain('PPPP');
      expect(transportOf(listener).stats.loops).toBe(1);
    },
  );

  it('refuses an act with an error member without running it or logging it (seneca-transport logs it whole)', async () => {
    const { client, pool, actStream, resStream } = streams();
    const logger = new RecordingLogger();
    const listener = await loggingListener(pool, { logger });
    const caller = await pool.client();
    const output = captureConsole();
    try {
      await putRaw(client, actStream, [
        {
          key: 'seneca_any_act',
          data: request('eeeeeeeeeeee/ffffffffffff', { error: { message: 'E'.repeat(200_000) } }),
        },
      ]);
      expect(await act(caller, { role: 'math', cmd: 'sum', left: 1, right: 2 })).toEqual({ answer: 3 });
    } finally {
      output.restore();
    }

    expect(output.text().includes('EEEE')).toBe(false);
    const skipped = logger.entries.filter((e) => e.message === 'act-stream record skipped');
    expect(skipped.map((e) => e.context.reason)).toEqual(['an act carries an error member']);
    expect(transportOf(listener).stats.skipped).toBe(1);
    expect((await readAll(client, resStream)).map((r) => json(r.data).id)).not.toContain(
      'eeeeeeeeeeee/ffffffffffff',
    );
  });
});
