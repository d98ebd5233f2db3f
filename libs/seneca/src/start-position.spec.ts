import { MemoryCheckpointStore, ensureStream } from '../../kinesis/src/index.js';
import { KINESIS_EMULATORS, eventually } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { act, mathActions, senecaStreams } from '../test/seneca-fixtures.js';

/** A request as another Seneca instance would have put it (fire-and-forget: nobody waits for it). */
const request = (marker: string, n: number) => ({
  key: 'seneca_any_act',
  data: JSON.stringify({
    id: `${String(n).padStart(12, '0')}/${'t'.repeat(12)}`,
    kind: 'act',
    origin: 'elsewhere',
    track: ['elsewhere'],
    time: { client_sent: Date.now() },
    act: { role: 'math', cmd: 'note', marker },
    sync: false,
  }),
});

describe.each(KINESIS_EMULATORS)('Seneca kinesis listener start position on %s', (emulator) => {
  const streams = senecaStreams(emulator);

  const markers = (calls: Array<{ msg: any }>) => calls.map((c) => c.msg.marker).filter(Boolean);

  it('starts at LATEST by default: a request written before the listener is not served', async () => {
    const { client, pool, actStream } = streams();
    await ensureStream(client, actStream, { shardCount: 2 });
    await putRaw(client, actStream, [request('before', 1)]);
    const calls: Array<{ msg: any; meta: any }> = [];
    await pool.listener(mathActions(calls));
    const caller = await pool.client();

    expect(await act(caller, { role: 'math', cmd: 'sum', left: 1, right: 2 })).toEqual({ answer: 3 });
    expect(markers(calls)).toEqual([]);
  });

  it('with a checkpoint store starts at TRIM_HORIZON, and a restarted listener resumes after its checkpoint', async () => {
    const { client, pool, actStream } = streams();
    const checkpointStore = new MemoryCheckpointStore();
    await ensureStream(client, actStream, { shardCount: 2 });
    await putRaw(client, actStream, [request('before', 1)]);
    const calls: Array<{ msg: any; meta: any }> = [];
    const first = await pool.listener(mathActions(calls), {}, { checkpointStore });
    await eventually(() => markers(calls).includes('before'), { message: 'the early request' });
    await new Promise<void>((resolve) => first.close(() => resolve()));

    await putRaw(client, actStream, [request('while down', 2)]);
    await pool.listener(mathActions(calls), {}, { checkpointStore });
    await eventually(() => markers(calls).includes('while down'), { message: 'the request sent while down' });
    expect(markers(calls)).toEqual(['before', 'while down']);
  });
});
