/** A Nest client in seneca mode calling a Nest server through Seneca 3.x envelopes, on both emulators. */
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { firstValueFrom } from 'rxjs';
import {
  InvalidSenecaPatternError,
  newSenecaInstanceId,
  RequestTimeoutError,
  SenecaActError,
  type SenecaActInfo,
} from '../../libs/transport/src/index.js';
import { eventually, KINESIS_EMULATORS, uniqueName } from '../support/harness.js';
import { readAll } from '../support/stream-reader.js';
import { hits, startCaller } from './seneca-fixtures.js';
import { call, failure, senecaSuite } from './seneca-suite.js';

const ID = /^[0-9a-z]{12}\/[0-9a-z]{12}$/;

describe.each(KINESIS_EMULATORS)('Nest client in seneca mode on %s', (emulator) => {
  const suite = senecaSuite(emulator);
  const { ids } = suite;

  it('reaches object patterns, the most specific one winning; data cannot re-route the act', async () => {
    const { caller } = suite;
    expect(await call(caller, { role: 'math', cmd: 'sum' }, { left: 1, right: 2 })).toEqual({ answer: 3 });
    expect(await call(caller, { role: 'math', cmd: 'sum' }, { exact: 'yes' })).toEqual({ handler: 'exact' });
    expect(await call(caller, { role: 'math', cmd: 'prod' }, {})).toEqual({
      handler: 'role:math',
      cmd: 'prod',
    });
    expect(await call(caller, { role: 'math', cmd: 'sum' }, { cmd: 'prod', left: 1, right: 1 })).toEqual({
      answer: 2,
    });
  });

  it('sends to the topic of its pin, which the server serves for its exact patterns', async () => {
    expect(suite.service.server.seneca!.servedTopics).toEqual(
      expect.arrayContaining(['seneca_any', 'seneca_role_math_', 'seneca_cmd_sum_role_math_']),
    );
    const exact = await suite.client({
      seneca: { instanceId: ids.caller, pin: { role: 'math', cmd: 'sum' } },
    });
    const partial = await suite.client({ seneca: { instanceId: ids.caller, pin: { role: 'math' } } });
    const glob = await suite.client({ seneca: { instanceId: ids.caller, pin: { role: 'math', cmd: '*' } } });
    expect(await call(exact, { role: 'math', cmd: 'sum' }, { left: 2, right: 2 })).toEqual({ answer: 4 });
    expect(await call(partial, { role: 'math', cmd: 'sum' }, { left: 2, right: 3 })).toEqual({ answer: 5 });
    expect(await call(glob, { role: 'math', cmd: 'sum' }, { left: 3, right: 3 })).toEqual({ answer: 6 });
    const keys = (await readAll(suite.admin, suite.actStream)).map((r) => r.partitionKey);
    expect(keys).toEqual(
      expect.arrayContaining(['seneca_cmd_sum_role_math__act', 'seneca_role_math__act', 'seneca_any_act']),
    );
  });

  it('gets Seneca error codes and messages', async () => {
    const { caller } = suite;
    expect(await failure(call(caller, { role: 'math', cmd: 'fail' }, {}))).toMatchObject({
      code: 'KABOOM',
      message: 'kaboom',
      details: { x: 1 },
    });
    const thrown = await failure(call(caller, { role: 'math', cmd: 'throw' }, {}));
    expect(thrown).toBeInstanceOf(SenecaActError);
    expect(thrown).toMatchObject({ code: 'E_BAD', message: 'bad input', remoteName: 'TypeError' });
    // No such pattern; a string pattern; an event handler (sync acts reach @MessagePattern only).
    for (const pattern of [{ role: 'nothing' }, { role: 'strpat' }, { role: 'audit' }]) {
      expect(await failure(call(caller, pattern, {}))).toMatchObject({ code: 'act_not_found' });
    }
    expect(await failure(call(caller, 'role:math' as never, {}))).toBeInstanceOf(InvalidSenecaPatternError);
  });

  it.each([
    ['number', { value: 3 }],
    ['string', { value: 'three' }],
    ['boolean', { value: false }],
    ['null', null],
    ['undefined', null],
    ['array', [1, 'two', { three: 3 }]],
    ['nested', { a: { b: [1, { c: null }] } }],
  ])('receives a %s result as %j (scalars wrapped, as Seneca cannot carry them)', async (kind, expected) => {
    expect(await call(suite.caller, { role: 'value' }, { kind })).toEqual(expected);
  });

  it('emits fire-and-forget acts: the handler runs, no reply is written', async () => {
    const [counted, audited] = [uniqueName('emit'), uniqueName('audit')];
    await firstValueFrom(suite.caller.emit({ role: 'count' }, { marker: counted }), {
      defaultValue: undefined,
    });
    await firstValueFrom(suite.caller.emit({ role: 'audit' }, { marker: audited }), {
      defaultValue: undefined,
    });
    await eventually(() => hits.get(counted) === 1 && hits.get(audited) === 1, { message: 'both handlers' });
    // Same topic, same shard, in order: once a later call is answered, an earlier reply would be stored.
    expect(await call(suite.caller, { role: 'math', cmd: 'sum' }, { left: 0, right: 0 })).toEqual({
      answer: 0,
    });
    const res = await readAll(suite.admin, suite.resStream);
    expect(res.filter((r) => r.data.toString().includes(counted))).toEqual([]);
  });

  it('hands the handler custom$, the ids, origin and track through KinesisContext, and no $ keys', async () => {
    const out = (await call(suite.caller, { role: 'ctx' }, { a: 1, custom$: { trace: 't1' }, x$: 2 })) as {
      payload: unknown;
      seneca: SenecaActInfo;
      id: string;
      pattern: string;
    };
    expect(out.payload).toEqual({ role: 'ctx', a: 1 });
    expect(out.seneca).toEqual({
      id: expect.stringMatching(ID),
      mi: out.seneca.id.split('/')[0],
      tx: out.seneca.id.split('/')[1],
      origin: ids.caller,
      track: [ids.caller],
      custom: { app: 'caller', trace: 't1' },
      sync: true,
      topic: 'seneca_any',
      format: 'legacy',
    });
    expect(out.id).toBe(out.seneca.id);
    expect(out.pattern).toBe('{"role":"ctx"}');
  });

  it('continues track, transaction and custom$ in calls a handler makes in turn', async () => {
    const { outer, inner } = (await call(
      suite.caller,
      { role: 'chain', cmd: 'nested' },
      { marker: 'n' },
    )) as {
      outer: SenecaActInfo;
      inner: { seneca: SenecaActInfo };
    };
    expect(inner.seneca).toMatchObject({
      tx: outer.tx,
      origin: ids.inner,
      track: [ids.caller, ids.inner],
      custom: outer.custom,
    });
    expect(inner.seneca.id).not.toBe(outer.id);
  });

  it('rejects a loop back to the server with message_loop, without running the handler', async () => {
    const direct = uniqueName('loop');
    const sameId = await suite.client({ seneca: { instanceId: ids.server } });
    expect(await failure(call(sameId, { role: 'count' }, { marker: direct }))).toMatchObject({
      code: 'message_loop',
      message: expect.stringMatching(/looping back/),
    });
    const chained = uniqueName('loop'); // caller -> server -> (client with the server's id) -> server
    expect(await call(suite.caller, { role: 'chain', cmd: 'loop' }, { marker: chained })).toMatchObject({
      code: 'message_loop',
    });
    expect([hits.get(direct), hits.get(chained)]).toEqual([undefined, undefined]);
  });

  it('ignores a reply with a foreign origin (the call times out); accepts one with its own', async () => {
    const topic = `seneca_${uniqueName('nobody').replace(/\W+/g, '_')}`;
    // The genuine reply is put after both acts were read back: room for a loaded emulator (the forged call waits it).
    const lonely = await suite.client({ seneca: { instanceId: ids.caller, topic }, timeoutMs: 8_000 });
    const ignoredBefore = suite.service.server.stats.ignored;
    const [forged, genuine] = [uniqueName('forged'), uniqueName('genuine')];
    const forgedCall = failure(call(lonely, { role: 'count' }, { marker: forged }));
    const genuineCall = call(lonely, { role: 'count' }, { marker: genuine });
    let acts: { id: string; act: { marker?: string } }[] = [];
    await eventually(async () => {
      acts = (await readAll(suite.admin, suite.actStream))
        .filter((r) => r.partitionKey === `${topic}_act`)
        .map((r) => JSON.parse(r.data.toString()));
      return acts.length === 2;
    });
    const idOf = (marker: string) => acts.find((a) => a.act.marker === marker)!.id;
    for (const [id, origin] of [
      [idOf(forged), newSenecaInstanceId()],
      [idOf(genuine), ids.caller],
    ]) {
      const reply = { id, kind: 'res', origin, sync: true, res: { id } };
      await suite.admin.send(
        new PutRecordCommand({
          StreamName: suite.resStream,
          PartitionKey: `${topic}_res`,
          Data: Buffer.from(JSON.stringify(reply)),
        }),
      );
    }
    expect(await genuineCall).toEqual({ id: idOf(genuine) });
    expect(await forgedCall).toBeInstanceOf(RequestTimeoutError);
    // Nobody serves that topic: the server saw both acts and left them alone.
    expect(suite.service.server.stats.ignored - ignoredBefore).toBe(2);
    expect([hits.get(forged), hits.get(genuine)]).toEqual([undefined, undefined]);
  });

  it('leaves native v1 clients working next to Seneca ones', async () => {
    const native = await startCaller({ ...suite.base(), protocol: 'native' });
    try {
      expect(await firstValueFrom(native.client.send('native.sum', [1, 2, 3]))).toBe(6);
    } finally {
      await native.app.close();
    }
  });
});
