/**
 * Raw Seneca envelopes, laid out as seneca-transport 8.3 writes them (seneca-envelopes.md), put on the act
 * stream with PutRecord and answered by a Nest server: the reply read back from the res shard of the topic.
 */
import { newSenecaInstanceId, newSenecaMessageId } from '../../libs/seneca/src/wire/index.js';
import { eventually, KINESIS_EMULATORS, uniqueName } from '../support/harness.js';
import { hits } from './seneca-fixtures.js';
import { call, capturedAct, putAct, repliesTo, replyTo, senecaSuite } from './seneca-suite.js';

describe.each(KINESIS_EMULATORS)('raw Seneca envelopes on %s', (emulator) => {
  const suite = senecaSuite(emulator);
  const stats = () => suite.service.server.stats;

  it('answers the captured legacy act with the exact reply shape', async () => {
    const act = capturedAct({ role: 'math', cmd: 'sum', left: 1, right: 2, custom$: { trace: 't1' } });
    await putAct(suite, act);
    const reply = await replyTo(suite, act.id);
    expect(reply).toEqual({
      id: act.id,
      kind: 'res',
      origin: act.origin,
      accept: suite.ids.server,
      track: [act.origin],
      time: {
        client_sent: act.time.client_sent,
        listen_recv: expect.any(Number),
        listen_sent: expect.any(Number),
      },
      sync: true,
      res: { answer: 3 },
    });
    expect(reply.time.listen_recv).toBeGreaterThanOrEqual(act.time.client_sent);
    expect(reply.time.listen_sent).toBeGreaterThanOrEqual(reply.time.listen_recv);
  });

  it('answers on the pinned topic the act came on', async () => {
    const act = capturedAct({ role: 'math', cmd: 'sum', left: 5, right: 5 });
    await putAct(suite, act, 'seneca_cmd_sum_role_math__act');
    expect(await replyTo(suite, act.id, 'seneca_cmd_sum_role_math_')).toMatchObject({ res: { answer: 10 } });
  });

  it('answers failures as Seneca errors with res null', async () => {
    const failed = capturedAct({ role: 'math', cmd: 'fail' });
    const missing = capturedAct({ role: 'math-less' });
    await putAct(suite, failed);
    await putAct(suite, missing);
    expect(await replyTo(suite, failed.id)).toMatchObject({
      kind: 'res',
      res: null,
      error: { code: 'KABOOM', message: 'kaboom', name: 'Error', details: { x: 1 }, seneca: true },
    });
    expect((await replyTo(suite, missing.id)).error).toMatchObject({ code: 'act_not_found', seneca: true });
  });

  it('answers a next-gen act (meta$) in the next-gen form', async () => {
    const origin = newSenecaInstanceId();
    const id = newSenecaMessageId();
    const [mi, tx] = id.split('/');
    await putAct(suite, {
      role: 'math',
      cmd: 'sum',
      left: 20,
      right: 22,
      meta$: { id, mi, tx, sync: true, instance: origin, pattern: 'cmd:sum,role:math', custom: {} },
    });
    expect(await replyTo(suite, id)).toEqual({
      answer: 42,
      meta$: expect.objectContaining({
        id,
        mi,
        tx,
        sync: true,
        instance: suite.ids.server,
        origin,
        track: [origin],
      }),
    });
  });

  it('runs a duplicated act once and answers it once', async () => {
    const marker = uniqueName('dup');
    const act = capturedAct({ role: 'count', marker });
    const before = stats().duplicates;
    await putAct(suite, act);
    await putAct(suite, act);
    await eventually(() => stats().duplicates > before, { message: 'the duplicate seen' });
    expect(await replyTo(suite, act.id)).toMatchObject({ res: { marker, count: 1 } });
    expect(hits.get(marker)).toBe(1);
  });

  it('runs an act without sync: true but writes no reply', async () => {
    const marker = uniqueName('nosync');
    const { sync: _sync, ...act } = capturedAct({ role: 'count', marker });
    await putAct(suite, act);
    await eventually(() => hits.get(marker) === 1, { message: 'the handler' });
    const barrier = capturedAct({ role: 'math', cmd: 'sum', left: 1, right: 1 });
    await putAct(suite, barrier); // same shard, after it: once this is answered, a reply to the first would be too
    await replyTo(suite, barrier.id);
    expect(await repliesTo(suite, act.id)).toEqual([]);
  });

  it("leaves acts on another listener's topic alone", async () => {
    const marker = uniqueName('elsewhere');
    const act = capturedAct({ role: 'count', marker });
    const before = stats().ignored;
    await putAct(suite, act, 'seneca_role_elsewhere__act');
    await eventually(() => stats().ignored > before, { message: 'the act ignored' });
    expect(hits.get(marker)).toBeUndefined();
    expect(await repliesTo(suite, act.id)).toEqual([]);
  });

  const SECRET = 'card-4111-1111-1111';
  it.each([
    ['not JSON', `${SECRET} {`],
    ['missing kind', { id: newSenecaMessageId(), act: { role: 'count', marker: SECRET } }],
    ['a null id', { ...capturedAct({ role: 'count', marker: SECRET }), id: null }],
    ['a reply on the act stream', { ...capturedAct({ role: 'count', marker: SECRET }), kind: 'res' }],
    ['an act that is not an object', { ...capturedAct({}), act: SECRET }],
    ['a next-gen act with a null id', { role: 'count', marker: SECRET, meta$: { id: null, sync: true } }],
  ])(
    'skips %s: logged without its payload, not answered, and the server keeps serving',
    async (_, record) => {
      const before = stats().invalid;
      const warned = suite.logged.length;
      await putAct(suite, record);
      await eventually(() => stats().invalid === before + 1, { message: 'the record counted' });
      // At warn the first time, then at debug (rate-bounded): the same context either way.
      const warnings = suite.logged.slice(warned);
      expect(warnings.find((w) => /invalid/.test(w.message))?.context).toMatchObject({
        reason: expect.any(String),
        sequenceNumber: expect.any(String),
      });
      expect(JSON.stringify(warnings)).not.toContain(SECRET);
      expect(hits.get(SECRET)).toBeUndefined();
      expect(await call(suite.caller, { role: 'math', cmd: 'sum' }, { left: 1, right: 1 })).toEqual({
        answer: 2,
      });
    },
  );
});
