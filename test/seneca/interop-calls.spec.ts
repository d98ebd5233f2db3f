/**
 * Interop with the real `seneca` package (3.38 + the kinesis-transport plugin): calls each way between Nest
 * (ServerKinesis, ClientKinesis in seneca mode) and Seneca, with and without pins, concurrent calls, result
 * shapes and custom$. Every test has streams of its own.
 */
import { KINESIS_EMULATORS } from '../support/harness.js';
import { act, interopWorlds, send, VALUES } from './interop-fixtures.js';

describe.each(KINESIS_EMULATORS)('Seneca interop, calls, on %s', (emulator) => {
  const world = interopWorlds(emulator);

  it('a Seneca client reaches a Nest @MessagePattern handler, unpinned (seneca_any) and pinned on its pattern', async () => {
    const w = world();
    await w.nestService();
    const unpinned = await w.senecaClient();
    const pinned = await w.senecaClient({ pin: 'role:nest,cmd:ctx' });

    const viaAny = await act(unpinned, { role: 'nest', cmd: 'ctx', a: 1 });
    const viaPin = await act(pinned, { role: 'nest', cmd: 'ctx', a: 2 });

    expect(viaAny).toMatchObject({
      payload: { role: 'nest', cmd: 'ctx', a: 1 },
      seneca: { topic: 'seneca_any', origin: unpinned.id, track: [unpinned.id], sync: true },
    });
    expect(viaPin).toMatchObject({
      payload: { role: 'nest', cmd: 'ctx', a: 2 },
      seneca: { topic: 'seneca_cmd_ctx_role_nest_', origin: pinned.id, track: [pinned.id] },
    });
    expect((await w.acts()).map((r) => r.partitionKey).sort()).toEqual([
      'seneca_any_act',
      'seneca_cmd_ctx_role_nest__act',
    ]);
  });

  // One listener per test: listeners with the same actions on one act stream would both answer the acts of
  // topics they share (seneca_any is shared by a pinned listener, as over tcp it would be reached).
  it('a Nest client reaches an unpinned Seneca listener', async () => {
    const w = world();
    await w.senecaService({}, { tag: 'unpinned' });
    const unpinned = await w.nestCaller();

    expect(await send(unpinned, { role: 'seneca', cmd: 'echo' }, { a: 1 })).toEqual({
      echo: { role: 'seneca', cmd: 'echo', a: 1 },
      by: 'unpinned',
    });
    expect((await w.acts()).map((r) => r.partitionKey)).toEqual(['seneca_any_act']);
  });

  it('a pinned Nest client reaches a pinned Seneca listener', async () => {
    const w = world();
    await w.senecaService({ pin: 'role:seneca,cmd:echo' }, { tag: 'pinned' });
    const pinned = await w.nestCaller({ seneca: { pin: { role: 'seneca', cmd: 'echo' } } });

    expect(await send(pinned, { role: 'seneca', cmd: 'echo' }, { a: 2 })).toEqual({
      echo: { role: 'seneca', cmd: 'echo', a: 2 },
      by: 'pinned',
    });
    expect((await w.acts()).map((r) => r.partitionKey)).toEqual(['seneca_cmd_echo_role_seneca__act']);
  });

  it('50 concurrent Seneca -> Nest calls: every answer goes to its own caller', async () => {
    const w = world();
    await w.nestService();
    const caller = await w.senecaClient();

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => act(caller, { role: 'nest', cmd: 'echo', i })),
    );

    expect(answers).toEqual(
      Array.from({ length: 50 }, (_, i) => ({ echo: { role: 'nest', cmd: 'echo', i }, by: 'nest' })),
    );
  });

  it('50 concurrent Nest -> Seneca calls: every answer goes to its own caller', async () => {
    const w = world();
    await w.senecaService();
    const caller = await w.nestCaller();

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(caller, { role: 'seneca', cmd: 'echo' }, { i })),
    );

    expect(answers).toEqual(
      Array.from({ length: 50 }, (_, i) => ({ echo: { role: 'seneca', cmd: 'echo', i }, by: 'seneca' })),
    );
  });

  it('Nest results reach a Seneca caller: null, arrays and objects as they are, scalars as { value }', async () => {
    const w = world();
    await w.nestService();
    const caller = await w.senecaClient();
    const value = (kind: string) => act(caller, { role: 'nest', cmd: 'value', kind });

    expect(await value('null')).toBeNull();
    expect(await value('array')).toEqual(VALUES.array);
    expect(await value('nested')).toEqual(VALUES.nested);
    // Seneca turns a scalar `res` into {} at its client: the Nest server sends { value } instead.
    expect(await value('number')).toEqual({ value: 3 });
    expect(await value('string')).toEqual({ value: 'three' });
  });

  it('Seneca results reach a Nest caller: null, arrays and objects as they are, scalars as Seneca sent them', async () => {
    const w = world();
    // Seneca's default `strict.result` fails an action whose result is a scalar; without it the scalar is
    // put on the wire as it is: a Nest caller gets it, a Seneca caller gets {}.
    await w.senecaService({}, { senecaOptions: { strict: { result: false } } });
    const caller = await w.nestCaller();
    const senecaCaller = await w.senecaClient();
    const value = (kind: string) => send(caller, { role: 'seneca', cmd: 'value' }, { kind });

    expect(await value('null')).toBeNull();
    expect(await value('array')).toEqual(VALUES.array);
    expect(await value('nested')).toEqual(VALUES.nested);
    expect(await value('number')).toBe(3);
    expect(await value('string')).toBe('three');
    expect(await act(senecaCaller, { role: 'seneca', cmd: 'value', kind: 'number' })).toEqual({});
  });

  it("a Seneca client's custom$ reaches the Nest handler through @Ctx().getSeneca()", async () => {
    const w = world();
    await w.nestService();
    const caller = await w.senecaClient();

    const out = await act(caller, { role: 'nest', cmd: 'ctx', a: 1, custom$: { trace: 't1', user: 'u1' } });

    expect(out.seneca.custom).toEqual({ trace: 't1', user: 'u1' });
    expect(out.payload).toEqual({ role: 'nest', cmd: 'ctx', a: 1 }); // no $ directives in the payload
  });

  it("a Nest client's custom (options and custom$ of the data) reaches the Seneca action's meta", async () => {
    const w = world();
    await w.senecaService();
    const caller = await w.nestCaller({ seneca: { custom: { app: 'nest', trace: 'default' } } });

    const out = await send(caller, { role: 'seneca', cmd: 'meta' }, { custom$: { trace: 't2' } });

    expect(out.custom).toEqual({ app: 'nest', trace: 't2' });
    expect(out.custom$).toEqual({ app: 'nest', trace: 't2' });
  });
});
