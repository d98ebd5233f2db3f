/** What a failed act's reply tells its caller without `exposeErrors`: the code, never the text or the act. */
import { KINESIS_EMULATORS } from '../../../test/support/harness.js';
import { readAll } from '../../../test/support/stream-reader.js';
import { actError, mathActions, senecaStreams, type SenecaApp } from '../test/seneca-fixtures.js';

const json = (data: Buffer) => JSON.parse(data.toString('utf8'));

/** An action failing with internals in its message, beside the math actions. */
const leakyActions = (seneca: SenecaApp) => {
  mathActions()(seneca);
  seneca.add('role:db,cmd:query', (_msg: unknown, reply: (error: Error) => void) =>
    reply(new Error('SELECT password FROM users -- internal')),
  );
};

describe.each(KINESIS_EMULATORS)('Seneca listener, error replies on %s', (emulator) => {
  const streams = senecaStreams(emulator);

  it("gives the caller an action error's code and the original code, with a fixed message", async () => {
    const { client, pool, resStream } = streams();
    await pool.listener(leakyActions);
    const caller = await pool.client();

    const failed = await actError(caller, { role: 'math', cmd: 'fail' });
    expect(failed.code).toBe('act_execute');
    expect(failed.message).toBe('Internal error');
    expect(failed.details.orig$).toEqual({ code: 'KABOOM' });

    const leaky = await actError(caller, { role: 'db', cmd: 'query' });
    expect(leaky.code).toBe('act_execute');
    expect(leaky.message).toBe('Internal error');

    const stored = (await readAll(client, resStream)).map((r) => json(r.data));
    expect(stored.map((reply) => reply.error)).toEqual([
      {
        code: 'act_execute',
        message: 'Internal error',
        name: 'Error',
        seneca: true,
        details: { orig$: { code: 'KABOOM' } },
      },
      { code: 'act_execute', message: 'Internal error', name: 'Error', seneca: true },
    ]);
    expect(stored.some((reply) => 'input' in reply)).toBe(false);
    expect(JSON.stringify(stored)).not.toMatch(/kaboom|password|cmd:fail/);
  });

  it('answers act_not_found with its code only: a 200 KB act does not come back in the reply', async () => {
    const { client, pool, resStream } = streams();
    await pool.listener(mathActions());
    const caller = await pool.client();

    const missing = await actError(caller, { role: 'nope', payload: 'S'.repeat(200_000) });
    expect(missing.code).toBe('act_not_found');
    expect(missing.message).toBe('seneca: No matching action pattern found.');

    const [reply] = await readAll(client, resStream);
    expect(reply.data.length).toBeLessThan(2_000);
    expect(reply.data.toString('utf8')).not.toContain('SSSS');
  });

  it('keeps the whole error (message, details) with exposeErrors, but never the act', async () => {
    const { client, pool, resStream } = streams();
    await pool.listener(leakyActions, {}, { exposeErrors: true });
    const caller = await pool.client();

    const leaky = await actError(caller, { role: 'db', cmd: 'query', marker: 'M'.repeat(1_000) });
    expect(leaky.message).toContain('SELECT password FROM users -- internal');

    const [reply] = await readAll(client, resStream);
    expect(json(reply.data)).not.toHaveProperty('input');
  });
});
