import { KINESIS_EMULATORS, eventually } from '../../../test/support/harness.js';
import { readAll } from '../../../test/support/stream-reader.js';
import { act, actError, mathActions, senecaStreams } from '../test/seneca-fixtures.js';

const json = (data: Buffer) => JSON.parse(data.toString('utf8'));

describe.each(KINESIS_EMULATORS)('Seneca kinesis transport on %s', (emulator) => {
  const streams = senecaStreams(emulator);

  it('answers a client with no pin: one record each way, keyed seneca_any_act / seneca_any_res', async () => {
    const { client, pool, actStream, resStream } = streams();
    const calls: Array<{ msg: any; meta: any }> = [];
    await pool.listener(mathActions(calls));
    const caller = await pool.client();

    expect(await act(caller, { role: 'math', cmd: 'sum', left: 1, right: 2 })).toEqual({ answer: 3 });

    const [request] = await readAll(client, actStream);
    expect(request.partitionKey).toBe('seneca_any_act');
    const envelope = json(request.data);
    expect(envelope).toMatchObject({
      kind: 'act',
      origin: caller.id,
      sync: true,
      act: { role: 'math', cmd: 'sum', left: 1, right: 2 },
    });
    expect(envelope.id).toMatch(/^[0-9a-z]{12}\/[0-9a-z]{12}$/);
    expect(calls[0].meta.id).toBe(envelope.id); // the listener's action runs under the caller's id
    const replies = await readAll(client, resStream);
    expect(replies).toHaveLength(1);
    expect(replies[0].partitionKey).toBe('seneca_any_res');
    expect(json(replies[0].data)).toMatchObject({
      id: envelope.id,
      kind: 'res',
      origin: caller.id,
      res: { answer: 3 },
    });
  });

  it('answers a pinned client from a listener pinned the same way, on topic seneca_cmd_sum_role_math_', async () => {
    const { client, pool, actStream, resStream } = streams();
    await pool.listener(mathActions(), { pin: 'role:math,cmd:sum' });
    const caller = await pool.client({ pin: 'role:math,cmd:sum' });

    expect(await act(caller, { role: 'math', cmd: 'sum', left: 20, right: 22 })).toEqual({ answer: 42 });

    const keys = (await readAll(client, actStream)).map((r) => r.partitionKey);
    expect(keys).toEqual(['seneca_cmd_sum_role_math__act']);
    expect((await readAll(client, resStream)).map((r) => r.partitionKey)).toEqual([
      'seneca_cmd_sum_role_math__res',
    ]);
  });

  it('a pinned listener leaves an act of an unpinned client outside its pin to other listeners: it times out', async () => {
    const { client, pool, actStream } = streams();
    const calls: Array<{ msg: any; meta: any }> = [];
    await pool.listener(mathActions(calls), { pin: 'role:math,cmd:sum' });
    const unpinned = await pool.client();

    // role:math,cmd:note is an action of the listener, but not under its pin.
    const error = await actError(unpinned, { role: 'math', cmd: 'note', timeout$: 1_500 });

    expect(error.code).toBe('action_timeout');
    expect((await readAll(client, actStream)).map((r) => r.partitionKey)).toEqual(['seneca_any_act']);
    expect(calls).toHaveLength(0);
  });

  it('gives each of 50 concurrent calls its own answer', async () => {
    const { client, pool, actStream } = streams();
    await pool.listener(mathActions());
    const caller = await pool.client();

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => act(caller, { role: 'math', cmd: 'sum', left: i, right: 1000 })),
    );

    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => ({ answer: i + 1000 })));
    const ids = (await readAll(client, actStream)).map((r) => json(r.data).id);
    expect(new Set(ids).size).toBe(50); // each request carried its own call's id
  });

  it("keeps an action error's code and message with exposeErrors, as a local call would see them", async () => {
    const { pool } = streams();
    const listener = await pool.listener(mathActions(), {}, { exposeErrors: true });
    const caller = await pool.client();

    const local = await actError(listener, { role: 'math', cmd: 'fail' });
    const remote = await actError(caller, { role: 'math', cmd: 'fail' });
    expect(remote.code).toBe(local.code);
    expect(remote.message).toBe(local.message);
    expect(remote.message).toContain('kaboom');
    expect(remote.orig?.code ?? remote.details?.orig$?.code).toBe('KABOOM');

    const missing = await actError(caller, { role: 'math', cmd: 'nope' });
    expect(missing.code).toBe('act_not_found');
  });

  it('writes no reply for a fire-and-forget act (sync false)', async () => {
    const { client, pool, actStream, resStream } = streams();
    const calls: Array<{ msg: any; meta: any }> = [];
    await pool.listener(mathActions(calls));
    const caller = await pool.client();

    caller.act({ role: 'math', cmd: 'note', marker: 'fire-and-forget' }); // no callback: meta.sync is false
    await eventually(() => calls.some((c) => c.msg.marker === 'fire-and-forget'), {
      message: 'the note act',
    });
    // A later answered call: its reply is written after anything the note could have caused.
    expect(await act(caller, { role: 'math', cmd: 'sum', left: 2, right: 2 })).toEqual({ answer: 4 });

    const requests = (await readAll(client, actStream)).map((r) => json(r.data));
    const note = requests.find((r) => r.act.cmd === 'note');
    expect(note.sync).toBe(false);
    const replies = (await readAll(client, resStream)).map((r) => json(r.data));
    expect(replies.map((r) => r.res)).toEqual([{ answer: 4 }]);
    expect(replies.some((r) => r.id === note.id)).toBe(false);
  });

  it('two clients sharing the res stream each get only their own answers', async () => {
    const { client, pool, resStream } = streams();
    await pool.listener(mathActions());
    const [first, second] = await Promise.all([pool.client(), pool.client()]);

    const call = (caller: any, offset: number) =>
      Promise.all(
        Array.from({ length: 15 }, (_, i) =>
          act(caller, { role: 'math', cmd: 'sum', left: i, right: offset }),
        ),
      );
    const [a, b] = await Promise.all([call(first, 100), call(second, 200)]);

    expect(a).toEqual(Array.from({ length: 15 }, (_, i) => ({ answer: i + 100 })));
    expect(b).toEqual(Array.from({ length: 15 }, (_, i) => ({ answer: i + 200 })));
    const replies = await readAll(client, resStream);
    // Both clients read the one shard seneca_any_res maps to, and each reply was written once.
    expect(new Set(replies.map((r) => r.shardId)).size).toBe(1);
    expect(replies).toHaveLength(30);
  });
});
