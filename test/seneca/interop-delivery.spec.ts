/**
 * Interop with the real `seneca` package: duplicate deliveries, clients sharing the res stream, and
 * Seneca -> Nest -> Seneca chains (track kept, loops rejected). Every test has streams of its own.
 */
import { eventually, KINESIS_EMULATORS } from '../support/harness.js';
import { act, interopWorlds, ready, send, senecaSide } from './interop-fixtures.js';

describe.each(KINESIS_EMULATORS)('Seneca interop, delivery and chains, on %s', (emulator) => {
  const world = interopWorlds(emulator);

  it('a Nest server handles a duplicated Seneca act once and answers it once', async () => {
    const w = world();
    const { server, probe } = await w.nestService();
    const caller = await w.senecaClient();

    expect(await act(caller, { role: 'nest', cmd: 'count', marker: 'dup' })).toEqual({
      marker: 'dup',
      count: 1,
    });
    const request = await w.actWhere((a) => a.marker === 'dup');
    const duplicatesBefore = server.stats.duplicates;
    await w.put('act', request.partitionKey, request.data); // the same record again (a producer retry)
    await eventually(() => server.stats.duplicates === duplicatesBefore + 1, {
      message: 'the duplicate seen',
    });

    expect(probe.of('dup')).toBe(1);
    expect(await w.repliesTo(request.body.id)).toHaveLength(1);
  });

  /*
   * The listener dedupes request ids (a window like the Nest server's): a redelivered act neither runs again
   * nor gets a second reply. Without it, Seneca's act history would answer the copy (with null while the
   * first run is still going, which the caller would take as its answer).
   */
  it('a Seneca listener runs a duplicated act once and answers it once', async () => {
    const w = world();
    const side = await w.senecaService();
    const caller = await w.nestCaller();

    expect(await send(caller, { role: 'seneca', cmd: 'count' }, { marker: 'dup' })).toEqual({
      marker: 'dup',
      count: 1,
    });
    const request = await w.actWhere((a) => a.marker === 'dup');
    await w.put('act', request.partitionKey, request.data);
    // Same topic, same shard, after the copy: once this is answered, the copy was read.
    expect(await send(caller, { role: 'seneca', cmd: 'count' }, { marker: 'probe' })).toEqual({
      marker: 'probe',
      count: 1,
    });

    expect(side.counter.of('dup')).toBe(1);
    expect(await w.repliesTo(request.body.id)).toHaveLength(1);
  });

  it('a Seneca listener does not answer a duplicate delivered while the action runs', async () => {
    const w = world();
    const side = await w.senecaService();
    const caller = await w.nestCaller();

    const call = send(caller, { role: 'seneca', cmd: 'slow-count' }, { marker: 'in-flight' });
    const request = await w.actWhere((a) => a.marker === 'in-flight');
    await w.put('act', request.partitionKey, request.data);

    expect(await call).toEqual({ marker: 'in-flight', count: 1 });
    expect(side.counter.of('in-flight')).toBe(1);
  });

  it('clients sharing the res stream (two Seneca, one Nest, same topic) each get only their own answers', async () => {
    const w = world();
    await w.nestService();
    const [first, second, nest] = await Promise.all([w.senecaClient(), w.senecaClient(), w.nestCaller()]);
    const calls = (call: (i: number) => Promise<any>) =>
      Promise.all(Array.from({ length: 15 }, (_, i) => call(i).then((answer) => answer.echo)));

    const answers = await Promise.all([
      calls((i) => act(first, { role: 'nest', cmd: 'echo', from: 'first', i })),
      calls((i) => act(second, { role: 'nest', cmd: 'echo', from: 'second', i })),
      calls((i) => send(nest, { role: 'nest', cmd: 'echo' }, { from: 'nest', i })),
    ]);

    for (const [k, from] of ['first', 'second', 'nest'].entries()) {
      expect(answers[k]).toEqual(
        Array.from({ length: 15 }, (_, i) => ({ role: 'nest', cmd: 'echo', from, i })),
      );
    }
    // All 45 replies sit in the one shard every client reads (seneca_any_res), each written once.
    expect(await w.replyShard()).toHaveLength(45);
  });

  it('a Seneca -> Nest -> Seneca chain keeps track, transaction and custom$', async () => {
    const w = world();
    const nest = await w.nestService();
    const tracks: unknown[] = [];
    const last = await w.senecaListener(
      (seneca) =>
        seneca.add('role:back', function (msg: any, reply: any, meta: any) {
          tracks.push(msg.transport$.track);
          reply(null, { marker: msg.marker, tx: meta.tx, custom: meta.custom, by: seneca.id });
        }),
      { pin: 'role:back' },
    );
    const first = await w.senecaClient();

    const out = await act(first, { role: 'nest', cmd: 'chain', marker: 'm', custom$: { trace: 'chain' } });

    expect(out.outer).toMatchObject({ origin: first.id, track: [first.id] });
    expect(out.inner).toEqual({ marker: 'm', tx: out.outer.tx, custom: { trace: 'chain' }, by: last.id });
    expect(tracks).toEqual([[first.id, nest.instanceId]]);
  });

  it('a Nest handler calling back into the Seneca instance that sent the act gets message_loop', async () => {
    const w = world();
    await w.nestService();
    const side = senecaSide();
    // One instance: a client (seneca_any, served by Nest) and a listener on role:back (where Nest calls on).
    const origin = w.seneca.create();
    origin.add('role:back', function (msg: any, reply: any) {
      reply(null, { count: side.counter.hit(msg.marker) });
    });
    origin.listen({ type: 'kinesis', pin: 'role:back' });
    origin.client({ type: 'kinesis' });
    await ready(origin);

    const out = await act(origin, { role: 'nest', cmd: 'chain', marker: 'loop' });

    // The listener's own answer: the inner call's timeout (8 s) would reach the handler as a RequestTimeoutError.
    expect(out.error).toEqual({
      code: 'message_loop',
      message: 'seneca: Inbound message rejected as looping back to this server.',
    });
    expect(side.counter.of('loop')).toBe(0);
  });
});
