/** Acts written by someone other than a Seneca client: refused, bounded, and never able to redirect a reply. */
import { ensureStream } from '../../kinesis/src/index.js';
import { KINESIS_EMULATORS, eventually, uniqueName } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { readAll } from '../../../test/support/stream-reader.js';
import { RecordingLogger, act, mathActions, senecaStreams } from '../test/seneca-fixtures.js';

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

    const reasons = logger
      .at('warn')
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

  it.each([
    [false, ['code', 'message', 'name', 'seneca']],
    [true, expect.arrayContaining(['code', 'message', 'details'])],
  ])(
    'answers a looping act with message_loop: code and a fixed message unless exposeErrors is %s',
    async (exposeErrors, keys) => {
      const { client, pool, actStream, resStream } = streams();
      const listener = await pool.listener(mathActions(), {}, { exposeErrors });

      await putRaw(client, actStream, [
        { key: 'seneca_any_act', data: request('cccccccccccc/dddddddddddd', { track: [listener.id] }) },
      ]);
      await eventually(async () => (await readAll(client, resStream)).length === 1, { message: 'the reply' });

      const { error } = json((await readAll(client, resStream))[0].data);
      expect(error.code).toBe('message_loop');
      expect(Object.keys(error).sort()).toEqual(keys);
      if (!exposeErrors)
        expect(error.message).toBe('seneca: Inbound message rejected as looping back to this server.');
    },
  );
});
