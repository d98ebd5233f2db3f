/**
 * A Seneca client pinned on part of a Nest handler's pattern reaches it, as a tcp client pinned `role:math`
 * reaches a Seneca tcp listener pinned `role:math` with the action `role:math,cmd:sum`.
 */
import { eventually, KINESIS_EMULATORS } from '../support/harness.js';
import { act, actError, interopWorlds, type SenecaApp } from './interop-fixtures.js';

/** Over Seneca's tcp transport (the behaviour to match): listener and client pinned on `pin`. */
async function overTcp(bare: () => SenecaApp, pin: string, msg: Record<string, unknown>) {
  const listener = bare().add('role:nest,cmd:echo', (m: any, reply: any) => reply(null, { echo: m.a }));
  const port = await new Promise<number>((resolve, reject) =>
    listener.listen({ type: 'tcp', host: '127.0.0.1', port: 0, pin }, (error: Error | null, out: any) =>
      error ? reject(error) : resolve(out.port),
    ),
  );
  const client = bare().client({ type: 'tcp', host: '127.0.0.1', port, pin });
  return act(client, msg);
}

describe.each(KINESIS_EMULATORS)('Seneca interop, pins, on %s', (emulator) => {
  const world = interopWorlds(emulator);

  it.each(['role:nest', 'cmd:echo'])(
    'a Seneca client pinned on %s reaches the Nest handler {role: nest, cmd: echo}, as over tcp',
    async (pin) => {
      const w = world();
      expect(await overTcp(() => w.seneca.bare(), pin, { role: 'nest', cmd: 'echo', a: 1 })).toEqual({
        echo: 1,
      });
      await w.nestService();
      const client = await w.senecaClient({ pin });

      expect(await act(client, { role: 'nest', cmd: 'echo', a: 1 })).toEqual({
        echo: { role: 'nest', cmd: 'echo', a: 1 },
        by: 'nest',
      });
    },
  );

  it('with seneca.pins [{ role: nest }], a client pinned role:nest gets act_not_found for an absent action, as over tcp', async () => {
    const w = world();
    await w.nestService(undefined, undefined, { pins: [{ role: 'nest' }] });
    const client = await w.senecaClient({ pin: 'role:nest' });

    expect(await actError(client, { role: 'nest', cmd: 'absent' })).toMatchObject({ code: 'act_not_found' });
    expect(await act(client, { role: 'nest', cmd: 'echo', a: 3 })).toMatchObject({ echo: { a: 3 } });
  });

  it('an act on a prefix topic that no Nest handler serves is left to other listeners (no act_not_found)', async () => {
    const w = world();
    const { server } = await w.nestService();
    const client = await w.senecaClient({ pin: 'role:nest' });

    const error = await actError(client, { role: 'nest', cmd: 'absent', timeout$: 1_500 });

    expect(error.code).toBe('action_timeout');
    // The server read the act and left it (on a loaded emulator, possibly after the caller's timeout).
    await eventually(() => server.stats.ignored >= 1, { message: 'the act ignored by the Nest server' });
    expect(server.stats.handled).toBe(0);
  });
});
