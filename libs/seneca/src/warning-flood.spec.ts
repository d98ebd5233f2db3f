/** Warnings caused by records (acts on a listener, replies on a client): rate-bounded, every act counted. */
import { KINESIS_EMULATORS } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { RecordingLogger, act, mathActions, senecaStreams, transportOf } from '../test/seneca-fixtures.js';

describe.each(KINESIS_EMULATORS)('Seneca listener, a flood of bad acts on %s', (emulator) => {
  const streams = senecaStreams(emulator);

  it('1,000 invalid acts make one warn line (the rest at debug), all counted', async () => {
    const { client, pool, actStream } = streams();
    const logger = new RecordingLogger();
    const listener = await pool.listener(mathActions(), {}, { logger });
    const caller = await pool.client();

    const bad = Array.from({ length: 1_000 }, (_, i) => ({
      key: 'seneca_any_act',
      data: JSON.stringify({ kind: 'act', id: null, act: { i } }),
    }));
    await putRaw(client, actStream, bad);
    // Same partition key, same shard: once this is answered, the bad records were read.
    expect(await act(caller, { role: 'math', cmd: 'sum', left: 1, right: 1 })).toEqual({ answer: 2 });

    const skipped = logger.entries.filter((e) => e.message === 'act-stream record skipped');
    expect(skipped).toHaveLength(1_000);
    expect(skipped.filter((e) => e.level === 'warn')).toHaveLength(1);
    expect(transportOf(listener).stats.skipped).toBe(1_000);
  });

  it("500 records on the res shard of a client's topic that are no reply make one warn line", async () => {
    const { client, pool, resStream } = streams();
    const logger = new RecordingLogger();
    await pool.listener(mathActions());
    const caller = await pool.client({}, { logger });
    // The caller reads its topic's res shard from its first call on.
    expect(await act(caller, { role: 'math', cmd: 'sum', left: 1, right: 1 })).toEqual({ answer: 2 });

    const bad = Array.from({ length: 500 }, (_, i) => ({
      key: 'seneca_any_res',
      data: JSON.stringify({ kind: 'act', id: `aaaaaaaaaaaa/${i}`, act: {} }),
    }));
    await putRaw(client, resStream, bad);
    // Same partition key, same shard: once this is answered, the bad records were read.
    expect(await act(caller, { role: 'math', cmd: 'sum', left: 2, right: 2 })).toEqual({ answer: 4 });

    const skipped = logger.entries.filter((e) => e.message === 'res-stream record skipped');
    expect(skipped.length).toBe(500);
    expect(skipped.filter((e) => e.level === 'warn').length).toBe(1);
  });
});
