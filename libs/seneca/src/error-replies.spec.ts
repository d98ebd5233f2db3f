/** What a failed act's reply tells its caller without `exposeErrors`: the code, never the text or the act. */
import { KINESIS_EMULATORS, eventually } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { readAll } from '../../../test/support/stream-reader.js';
import {
  RecordingLogger,
  actError,
  mathActions,
  senecaStreams,
  transportOf,
  type SenecaApp,
} from '../test/seneca-fixtures.js';
import { errorForReply } from './error-replies.js';

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

describe('Seneca listener, a reply that cannot be stored, on kinesalite', () => {
  const streams = senecaStreams('kinesalite');

  it('counts and logs a reply the producer could not store (over 1 MB), without its data', async () => {
    const { client, pool, actStream, resStream } = streams();
    const logger = new RecordingLogger();
    const listener = await pool.listener(
      (seneca: SenecaApp) =>
        seneca.add('role:big,cmd:get', (_msg: unknown, reply: any) =>
          reply(null, { big: 'B'.repeat(1_100_000) }),
        ),
      {},
      { logger },
    );
    const request = { id: 'bbbbbbbbbbbb/gggggggggggg', kind: 'act', origin: 'writer', sync: true };
    await putRaw(client, actStream, [
      { key: 'seneca_any_act', data: JSON.stringify({ ...request, act: { role: 'big', cmd: 'get' } }) },
    ]);
    await eventually(() => transportOf(listener).stats.replyFailed === 1, {
      message: 'the failed reply counted',
    });

    const failed = logger.at('error').filter((e) => e.message === 'reply not written');
    expect(failed.map((e) => e.context.id)).toEqual([request.id]);
    expect(JSON.stringify(logger.entries).includes('BBBB')).toBe(false);
    expect(await readAll(client, resStream)).toEqual([]);
  });
});

describe('Seneca error replies without exposeErrors', () => {
  it("keep the code, the original code of an act_execute and Seneca's own text; nothing else", () => {
    expect(errorForReply({ code: 'act_not_found', message: 'act {secret}', details: { x: 1 } })).toEqual({
      code: 'act_not_found',
      message: 'seneca: No matching action pattern found.',
      name: 'Error',
      seneca: true,
    });
    expect(
      errorForReply({ code: 'act_execute', message: 'secret', details: { orig$: { code: 'KABOOM' } } }),
    ).toEqual({
      code: 'act_execute',
      message: 'Internal error',
      name: 'Error',
      seneca: true,
      details: { orig$: { code: 'KABOOM' } },
    });
    expect(errorForReply('secret')).toMatchObject({ code: 'act_execute', message: 'Internal error' });
  });

  it('give a code named like an Object property the fixed text too (only own entries are texts)', () => {
    for (const code of ['constructor', 'toString', 'hasOwnProperty'])
      expect(errorForReply({ code })).toEqual({
        code,
        message: 'Internal error',
        name: 'Error',
        seneca: true,
      });
  });
});
