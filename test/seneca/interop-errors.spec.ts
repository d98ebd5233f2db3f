/**
 * Interop with the real `seneca` package: errors each way, fire-and-forget acts (no reply record) each way,
 * and a reply with a foreign origin, which a Seneca caller must ignore. Every test has streams of its own.
 */
import {
  newSenecaInstanceId,
  SenecaActError,
  SenecaExceptionFilter,
} from '../../libs/transport/src/index.js';
import { eventually, KINESIS_EMULATORS } from '../support/harness.js';
import {
  act,
  actError,
  fireAndForget,
  interopWorlds,
  rejection,
  send,
  sleep,
  type InteropWorld,
} from './interop-fixtures.js';

/** After a handler ran, how long a reply it would have caused gets to show up (besides the barrier call). */
const REPLY_GRACE_MS = 300;

/**
 * The fire-and-forget act `marker: 'forgotten'` (its handler has run) was put with sync false and got no reply:
 * `barrier`, a later `count` call on the same topic (same act and res shards), is answered after it, and its
 * answer is the only record of the reply shard.
 */
async function expectNoReplyToForgotten(w: InteropWorld, barrier: () => Promise<unknown>): Promise<void> {
  const request = await w.actWhere((a) => a.marker === 'forgotten');
  expect(request.body.sync).toBe(false);
  expect(await barrier()).toEqual({ marker: 'barrier', count: 1 });
  await sleep(REPLY_GRACE_MS);

  const replies = await w.replyShard();
  expect(replies.map((r) => r.body.res)).toEqual([{ marker: 'barrier', count: 1 }]);
  expect(replies.some((r) => r.body.id === request.body.id)).toBe(false);
}

describe.each(KINESIS_EMULATORS)('Seneca interop, errors and fire-and-forget, on %s', (emulator) => {
  const world = interopWorlds(emulator);

  it('a failing Seneca action reaches a Nest caller with the code and message a Seneca caller sees', async () => {
    const w = world();
    await w.senecaService();
    const nest = await w.nestCaller();
    const seneca = await w.senecaClient();

    // A plain Error with a code: Seneca wraps it (act_execute), the original code under details.orig$.
    const failed = await rejection(send(nest, { role: 'seneca', cmd: 'fail' }));
    const senecaFailed = await actError(seneca, { role: 'seneca', cmd: 'fail' });
    expect(failed).toBeInstanceOf(SenecaActError);
    expect(failed).toMatchObject({
      code: 'act_execute',
      message: 'seneca: Action cmd:fail,role:seneca failed: kaboom.',
      details: { x: 1, orig$: { code: 'KABOOM' } },
    });
    expect([failed.code, failed.message]).toEqual([senecaFailed.code, senecaFailed.message]);

    // A Seneca error (this.error): its own code.
    const refused = await rejection(send(nest, { role: 'seneca', cmd: 'refuse' }));
    const senecaRefused = await actError(seneca, { role: 'seneca', cmd: 'refuse' });
    expect(refused).toMatchObject({ code: 'REFUSED', message: 'seneca: REFUSED', details: { x: 2 } });
    expect([refused.code, refused.message]).toEqual([senecaRefused.code, senecaRefused.message]);
  });

  it('a failing Nest handler reaches a Seneca caller with its code and message', async () => {
    const w = world();
    await w.nestService();
    const caller = await w.senecaClient();

    expect(await actError(caller, { role: 'nest', cmd: 'fail' })).toMatchObject({
      code: 'E_NEST',
      message: 'nest said no',
      details: { x: 1 },
    });
    // A thrown Error: SenecaExceptionFilter({ exposeErrors: true }) passes code, message and name on.
    expect(await actError(caller, { role: 'nest', cmd: 'throw' })).toMatchObject({
      code: 'E_THROWN',
      message: 'thrown in nest',
      name: 'RangeError',
    });
    expect(await actError(caller, { role: 'nest', cmd: 'nothing' })).toMatchObject({ code: 'act_not_found' });
  });

  it("a thrown Error reaches a Seneca caller as its code and 'Internal error' with the default filter", async () => {
    const w = world();
    await w.nestService(undefined, new SenecaExceptionFilter());
    const caller = await w.senecaClient();

    const error = await actError(caller, { role: 'nest', cmd: 'throw' });

    expect(error).toMatchObject({ code: 'E_THROWN', message: 'Internal error' });
    const [request] = await w.acts();
    expect(JSON.stringify(await w.repliesTo(request.body.id))).not.toContain('thrown in nest');
  });

  it('a fire-and-forget act from Seneca runs the Nest handler and gets no reply record', async () => {
    const w = world();
    const { probe } = await w.nestService();
    const caller = await w.senecaClient();

    fireAndForget(caller, { role: 'nest', cmd: 'count', marker: 'forgotten' });
    await eventually(() => probe.of('forgotten') === 1, { message: 'the handler' });

    await expectNoReplyToForgotten(w, () => act(caller, { role: 'nest', cmd: 'count', marker: 'barrier' }));
  });

  it('a fire-and-forget act from Nest (emit) runs the Seneca action and gets no reply record', async () => {
    const w = world();
    const side = await w.senecaService();
    const caller = await w.nestCaller();

    await new Promise<void>((resolve, reject) =>
      caller.emit({ role: 'seneca', cmd: 'count' }, { marker: 'forgotten' }).subscribe({
        complete: resolve,
        error: reject,
      }),
    );
    await eventually(() => side.counter.of('forgotten') === 1, { message: 'the action' });

    await expectNoReplyToForgotten(w, () =>
      send(caller, { role: 'seneca', cmd: 'count' }, { marker: 'barrier' }),
    );
  });

  it('a Seneca caller ignores a reply with a foreign origin and times out with action_timeout', async () => {
    const w = world();
    const side = await w.senecaService({ pin: 'role:seneca,cmd:hold' }); // never answers
    const caller = await w.senecaClient({ pin: 'role:seneca,cmd:hold' });
    const topic = 'seneca_cmd_hold_role_seneca_';

    const forgedCall = actError(caller, { role: 'seneca', cmd: 'hold', marker: 'forged', timeout$: 1_500 });
    // Its reply is put after both acts were read back: room for a loaded emulator (it resolves on the reply).
    const genuineCall = act(caller, { role: 'seneca', cmd: 'hold', marker: 'genuine', timeout$: 15_000 });
    const forged = await w.actWhere((a) => a.marker === 'forged');
    const genuine = await w.actWhere((a) => a.marker === 'genuine');
    // Same shard, in this order: the caller's reader sees the foreign one first, then one with its origin.
    for (const [request, origin] of [
      [forged, newSenecaInstanceId()],
      [genuine, caller.id],
    ] as const) {
      const reply = { id: request.body.id, kind: 'res', origin, sync: true, res: { forgedFor: origin } };
      await w.put('res', `${topic}_res`, JSON.stringify(reply));
    }

    expect(await genuineCall).toEqual({ forgedFor: caller.id });
    const error = await forgedCall;
    expect(error.code).toBe('action_timeout');
    await eventually(() => side.held.length === 2, { message: 'both acts at the listener' });
    side.held.splice(0).forEach((reply) => reply(null, { late: true })); // lets the listener close at once
  });
});
