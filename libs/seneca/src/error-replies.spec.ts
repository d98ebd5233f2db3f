import { errorForReply } from './error-replies.js';

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
