import { KINESIS_EMULATORS, eventually } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { readAll } from '../../../test/support/stream-reader.js';
import { RecordingLogger, act, mathActions, senecaStreams, transportOf } from '../test/seneca-fixtures.js';

describe.each(KINESIS_EMULATORS)('Seneca kinesis transport, bad input on %s', (emulator) => {
  const streams = senecaStreams(emulator);

  it('skips non-JSON, kind-less and id-null requests, logged (no payload) and counted, and still serves valid calls', async () => {
    const { client, pool, actStream, resStream } = streams();
    const logger = new RecordingLogger();
    const calls: Array<{ msg: any; meta: any }> = [];
    const listener = await pool.listener(mathActions(calls), {}, { logger });
    const caller = await pool.client();

    const act_ = (extra: object) => JSON.stringify({ origin: 'x', sync: true, ...extra });
    await putRaw(client, actStream, [
      { key: 'seneca_any_act', data: '{"secret-1": not json' },
      { key: 'seneca_any_act', data: act_({ id: 'aaaaaaaaaaaa/bbbbbbbbbbbb', act: { secret: 'secret-2' } }) },
      {
        key: 'seneca_any_act',
        data: act_({ kind: 'act', id: null, act: { role: 'math', cmd: 'note', secret: 'secret-3' } }),
      },
      // Another topic's request: not this listener's, skipped without a word.
      {
        key: 'other_act',
        data: act_({ kind: 'act', id: 'cccccccccccc/dddddddddddd', act: { role: 'math', cmd: 'note' } }),
      },
    ]);
    // Same partition key, same shard: by the time this is answered the bad records were read.
    expect(await act(caller, { role: 'math', cmd: 'sum', left: 3, right: 4 })).toEqual({ answer: 7 });

    // One warn line, the others at debug (rate-bounded), every one counted.
    const skipped = logger.entries.filter((e) => e.message === 'act-stream record skipped');
    expect(skipped.map((e) => e.context.reason).sort()).toEqual(['id is null', 'missing kind', 'not JSON']);
    expect(skipped.map((e) => e.level)).toEqual(['warn', 'debug', 'debug']);
    expect(transportOf(listener).stats.skipped).toBe(3);
    expect(skipped.every((e) => e.context.partitionKey === 'seneca_any_act')).toBe(true);
    expect(JSON.stringify(logger.entries)).not.toContain('secret');
    expect(calls.map((c) => c.msg.cmd)).toEqual(['sum']);
    expect(await readAll(client, resStream)).toHaveLength(1);
  });

  it('skips a reply that is not JSON with a warning (rate-bounded) and still answers its calls', async () => {
    const { client, pool, resStream } = streams();
    const logger = new RecordingLogger();
    await pool.listener(mathActions());
    const caller = await pool.client({}, { logger });

    await putRaw(client, resStream, [
      { key: 'seneca_any_res', data: 'secret-4 is not json' },
      { key: 'seneca_any_res', data: '[1,2]' },
    ]);
    const skipped = () => logger.entries.filter((e) => e.message === 'res-stream record skipped');
    await eventually(() => skipped().length >= 2, { message: 'two skipped replies' });
    expect(await act(caller, { role: 'math', cmd: 'sum', left: 5, right: 5 })).toEqual({ answer: 10 });

    // The first at warn, the next (within the throttle's interval) at debug.
    expect(skipped().map((e) => [e.level, e.context.reason])).toEqual([
      ['warn', 'not JSON'],
      ['debug', 'not an object'],
    ]);
    expect(JSON.stringify(logger.entries)).not.toContain('secret');
  });
});
