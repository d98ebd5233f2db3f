import { KinesisError } from '../../../kinesis/src/index.js';
import {
  decodeLegacySenecaAct,
  decodeSenecaAct,
  decodeSenecaReply,
  encodeSenecaAct,
  encodeSenecaEnvelope,
  encodeSenecaReply,
  InvalidSenecaEnvelopeError,
  looksLikeSeneca,
  senecaReplyFor,
  toSenecaResult,
  withoutDirectives,
  type SenecaAct,
  type SenecaErrorInfo,
} from './index.js';

// Captured from seneca 3.38 + seneca-transport 8.3 (shared/reference/seneca-envelopes.md).
const CLIENT = '82gkjpizgfe7/1795303144612/8961/3.38.0/C';
const CAPTURED_ACT = {
  id: 'wow1giea4m4u/0d2j6z8fwu4g',
  kind: 'act',
  origin: CLIENT,
  track: [CLIENT],
  time: { client_sent: 1795303144744 },
  act: { role: 'math', cmd: 'sum', left: 1, right: 2, custom$: { trace: 't1' } },
  sync: true,
  msg$: { vin: 1, sid: CLIENT, out: true, mid: 'wow1giea4m4u', cid: '0d2j6z8fwu4g', snc: true, pat: '' },
};
const CAPTURED_REPLY = {
  id: 'wow1giea4m4u/0d2j6z8fwu4g',
  kind: 'res',
  origin: CLIENT,
  accept: 'r3m8bg7lrx6k/1795303144395/8961/3.38.0/L',
  track: [CLIENT],
  time: { client_sent: 1795303144744, listen_recv: 1795303144745, listen_sent: 1795303144746 },
  sync: true,
  res: { answer: 3 },
};
const json = (b: Buffer) => JSON.parse(b.toString('utf8'));
/** A Seneca error as the Nest side's senecaError(code) makes it. */
const senecaError = (code: string, message: string): SenecaErrorInfo => ({
  code,
  message,
  name: 'Error',
  details: {},
  seneca: true,
});
const timing = { listenRecv: 1795303144745, listenSent: 1795303144746 };

describe('Seneca envelopes', () => {
  it('tells Seneca acts from native v1 envelopes by shape', () => {
    expect(looksLikeSeneca(CAPTURED_ACT)).toBe(true);
    expect(looksLikeSeneca({ cmd: 'greet', v: 1, meta$: { id: 'a/b' } })).toBe(true); // next-gen with a v key
    expect(looksLikeSeneca({ id: 'a/b', act: {} })).toBe(true); // a Seneca act missing its kind
    expect(looksLikeSeneca({ v: 1, id: 'x', pattern: 'sum', data: 1 })).toBe(false);
    expect(looksLikeSeneca({ id: 'x', pattern: 'sum' })).toBe(false);
  });

  it('reads the captured legacy act', () => {
    expect(decodeSenecaAct(CAPTURED_ACT)).toEqual({
      format: 'legacy',
      id: 'wow1giea4m4u/0d2j6z8fwu4g',
      mi: 'wow1giea4m4u',
      tx: '0d2j6z8fwu4g',
      origin: CLIENT,
      track: [CLIENT],
      sync: true,
      clientSent: 1795303144744,
      act: CAPTURED_ACT.act,
      custom: { trace: 't1' },
      envelope: CAPTURED_ACT,
    });
    expect(decodeSenecaAct({ ...CAPTURED_ACT, sync: undefined }).sync).toBe(false);
    expect(decodeSenecaAct({ ...CAPTURED_ACT, sync: 'true' }).sync).toBe(false);
  });

  it('reads a next-gen act (the act plus meta$)', () => {
    const act = decodeSenecaAct({
      role: 'math',
      cmd: 'sum',
      left: 1,
      meta$: { id: 'aaaaaaaaaaaa/bbbbbbbbbbbb', sync: true, instance: CLIENT, custom: { t: 1 }, start: 5 },
    });
    expect(act).toMatchObject({
      format: 'next',
      id: 'aaaaaaaaaaaa/bbbbbbbbbbbb',
      tx: 'bbbbbbbbbbbb',
      origin: CLIENT,
      track: [CLIENT],
      sync: true,
      clientSent: 5,
      act: { role: 'math', cmd: 'sum', left: 1 },
      custom: { t: 1 },
    });
  });

  it.each([
    ['no kind', { id: 'a/b', act: {} }, 'missing kind'],
    ['a reply on the act stream', { ...CAPTURED_REPLY }, 'kind is not act'],
    ['a null id', { ...CAPTURED_ACT, id: null }, 'id is null'],
    ['no id', { ...CAPTURED_ACT, id: undefined }, 'id is not a string'],
    ['a numeric id', { ...CAPTURED_ACT, id: 7 }, 'id is not a string'],
    ['an over-long id', { ...CAPTURED_ACT, id: 'x'.repeat(129) }, 'id is not a safe id'],
    ['a 1 MB id', { ...CAPTURED_ACT, id: 'x'.repeat(1_000_000) }, 'id is not a safe id'],
    ['an id with a newline', { ...CAPTURED_ACT, id: 'aaaa\nbbbb/cccc' }, 'id is not a safe id'],
    ['a next-gen act with a 1 MB id', { a: 1, meta$: { id: 'y'.repeat(1_000_000) } }, 'id is not a safe id'],
    ['a next-gen act with a numeric instance', { a: 1, meta$: { id: 'a/b', instance: 3 } }, 'meta$.instance'],
    ['a track of 65 hops', { ...CAPTURED_ACT, track: Array(65).fill('i') }, 'track is not a bounded list'],
    ['an origin of 257 characters', { ...CAPTURED_ACT, origin: 'o'.repeat(257) }, 'origin is not a bounded'],
    ['an act that is not an object', { ...CAPTURED_ACT, act: [1] }, 'act is not an object'],
    ['a track that is not a list', { ...CAPTURED_ACT, track: 'x' }, 'track is not a bounded list'],
    ['a numeric origin', { ...CAPTURED_ACT, origin: 3 }, 'origin is not a bounded string'],
    ['a next-gen act with a null id', { a: 1, meta$: { id: null } }, 'id is null'],
  ])('rejects %s with a typed error that does not quote the payload', (_, raw, reason) => {
    let error: unknown;
    try {
      decodeSenecaAct(raw as Record<string, unknown>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidSenecaEnvelopeError);
    expect(error).toBeInstanceOf(KinesisError);
    expect((error as InvalidSenecaEnvelopeError).reason).toContain(reason);
    expect((error as Error).message).not.toContain('math');
  });

  it('writes the legacy reply exactly in the captured shape', () => {
    const act = decodeSenecaAct(CAPTURED_ACT);
    expect(json(encodeSenecaReply(act, { res: { answer: 3 } }, CAPTURED_REPLY.accept, timing))).toEqual(
      CAPTURED_REPLY,
    );
  });

  it('writes an error reply with res null and a Seneca error', () => {
    const act = decodeSenecaAct(CAPTURED_ACT);
    const reply = json(
      encodeSenecaReply(
        act,
        { error: senecaError('act_not_found', 'No matching action pattern found.') },
        'me',
        timing,
      ),
    );
    expect(reply.res).toBeNull();
    expect(reply.error).toEqual({
      code: 'act_not_found',
      message: 'No matching action pattern found.',
      name: 'Error',
      details: {},
      seneca: true,
    });
  });

  it('keeps objects, arrays and null as results and wraps scalars as { value }', () => {
    expect(toSenecaResult({ a: { b: [1] } })).toEqual({ a: { b: [1] } });
    expect(toSenecaResult([1, 2])).toEqual([1, 2]);
    expect(toSenecaResult(null)).toBeNull();
    expect(toSenecaResult(undefined)).toBeNull();
    expect(toSenecaResult(3)).toEqual({ value: 3 });
    expect(toSenecaResult('x')).toEqual({ value: 'x' });
    expect(toSenecaResult(false)).toEqual({ value: false });
  });

  it('answers a next-gen act in the next-gen form', () => {
    const act: SenecaAct = decodeSenecaAct({
      role: 'math',
      meta$: { id: 'aaaaaaaaaaaa/bbbbbbbbbbbb', sync: true, instance: CLIENT, pattern: 'role:math' },
    });
    const meta = { id: act.id, mi: 'aaaaaaaaaaaa', tx: 'bbbbbbbbbbbb', pattern: 'role:math', sync: true };
    expect(json(encodeSenecaReply(act, { res: { answer: 3 } }, 'me', timing))).toEqual({
      answer: 3,
      meta$: expect.objectContaining({ ...meta, instance: 'me', origin: CLIENT, track: [CLIENT] }),
    });
    expect(json(encodeSenecaReply(act, { res: [1] }, 'me', timing))).toMatchObject({ array$: [1] });
    expect(json(encodeSenecaReply(act, { res: null }, 'me', timing)).meta$.empty).toBe(true);
    const failed = json(
      encodeSenecaReply(act, { error: senecaError('message_loop', 'Loop.') }, 'me', timing),
    );
    expect(failed).toMatchObject({ code: 'message_loop', seneca: true, meta$: { error: true } });
  });

  it('writes a legacy act as seneca-transport prepare_request lays it out', () => {
    const act = json(
      encodeSenecaAct({
        id: 'wow1giea4m4u/0d2j6z8fwu4g',
        origin: CLIENT,
        track: [CLIENT],
        act: CAPTURED_ACT.act,
        sync: true,
        pat: '',
      }),
    );
    expect(Object.keys(act)).toEqual(Object.keys(CAPTURED_ACT));
    expect({ ...act, time: CAPTURED_ACT.time }).toEqual(CAPTURED_ACT);
    expect(Math.abs(act.time.client_sent - Date.now())).toBeLessThan(5_000);
  });

  it('reads replies, and rejects what is not one', () => {
    expect(decodeSenecaReply(Buffer.from(JSON.stringify(CAPTURED_REPLY)))).toEqual(CAPTURED_REPLY);
    for (const bad of [
      '{',
      '[1]',
      JSON.stringify({ ...CAPTURED_REPLY, kind: 'act' }),
      JSON.stringify({ v: 1, id: 'x' }),
    ])
      expect(() => decodeSenecaReply(Buffer.from(bad))).toThrow(InvalidSenecaEnvelopeError);
    expect(() => decodeSenecaReply(Buffer.from(JSON.stringify({ ...CAPTURED_REPLY, id: null })))).toThrow(
      /id is null/,
    );
  });

  it('reads only legacy acts for seneca-transport, refusing next-gen and error-carrying ones', () => {
    const record = (o: object) => encodeSenecaEnvelope(o);
    const act = decodeLegacySenecaAct(record(CAPTURED_ACT));
    expect(act).toMatchObject({ format: 'legacy', id: CAPTURED_ACT.id, sync: true });
    expect(act.envelope).toEqual(CAPTURED_ACT); // handed to handle_request as it came
    expect(act.act).toBe(act.envelope.act);
    const refusals: Array<[string, Buffer]> = [
      ['not JSON', Buffer.from('{')],
      ['not an object', Buffer.from('[]')],
      ['missing kind', record({ id: 'a/b', act: {} })],
      ['missing kind', record({ role: 'math', meta$: { id: 'aaaaaaaaaaaa/bbbbbbbbbbbb', sync: true } })],
      ['kind is not act', record({ kind: 'res', id: 'a/b', act: {} })],
      ['id is null', record({ kind: 'act', id: null, act: {} })],
      ['id is not a string', record({ kind: 'act', act: {} })],
      ['act is not an object', record({ kind: 'act', id: 'a/b' })],
      ['an act carries an error member', record({ ...CAPTURED_ACT, error: { code: 'x' } })],
    ];
    for (const [reason, data] of refusals)
      expect(() => decodeLegacySenecaAct(data)).toThrow(new InvalidSenecaEnvelopeError(reason as never));
  });

  it('builds the reply object encodeSenecaReply writes, for a caller that still edits it', () => {
    const act = decodeSenecaAct(CAPTURED_ACT);
    const outcome = {
      error: { code: 'message_loop', message: 'fixed', name: 'Error', seneca: true as const },
    };
    expect(senecaReplyFor(act, outcome, 'me', timing)).toEqual(
      json(encodeSenecaReply(act, outcome, 'me', timing)),
    );
    expect(senecaReplyFor(act, outcome, 'me', timing)).toMatchObject({
      kind: 'res',
      res: null,
      error: outcome.error,
    });
  });

  it('gives handlers the act without its $ directives', () => {
    expect(withoutDirectives({ role: 'math', left: 1, custom$: {}, tx$: 'x', fatal$: true })).toEqual({
      role: 'math',
      left: 1,
    });
  });
});
