import { aggregate, MemoryCheckpointStore } from '../../kinesis/src/index.js';
import { KINESIS_EMULATORS, eventually } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { act, ready, senecaStreams, testOptions } from '../test/seneca-fixtures.js';
import { createKinesisTransport, type KinesisSenecaOptions, type SenecaKinesisTransport } from './index.js';

/** A legacy act as seneca-transport's prepare_request lays it out. */
const envelope = (i: number) =>
  JSON.stringify({
    id: `m${String(i).padStart(11, '0')}/txtxtxtxtxtx`,
    kind: 'act',
    origin: 'aggregating-writer',
    track: ['aggregating-writer'],
    time: { client_sent: Date.now() },
    act: { role: 'math', cmd: 'hold', i },
    sync: true,
  });

describe.each(KINESIS_EMULATORS)('Seneca listener, acts in flight on %s', (emulator) => {
  const streams = senecaStreams(emulator);

  it('a listener stopped without grace mid-action has not checkpointed the act: the next listener answers it', async () => {
    const { pool, client, actStream, resStream } = streams();
    // Bound to the plugin: Seneca's options would copy the store, and the two listeners must share it.
    const checkpointStore = new MemoryCheckpointStore();
    const listener = (action: (msg: any, reply: any) => void, options: KinesisSenecaOptions = {}) => {
      const plugin = createKinesisTransport({
        ...testOptions(client, actStream, resStream),
        checkpointStore,
        ...options,
      });
      return ready(pool.bare().use(plugin).add('role:slow,cmd:work', action).listen({ type: 'kinesis' }));
    };
    let hung: ((error: null, out: object) => void) | undefined;
    // Never replies: the listener is stopped with the action running, as if its process died.
    const first = await listener((_msg, reply) => (hung = reply), { closeGracePeriodMs: 0 });
    const caller = await pool.client();
    const answer = act(caller, { role: 'slow', cmd: 'work' });
    await eventually(() => hung !== undefined, { message: 'the first listener to start the action' });

    // The transport stops as on SIGTERM with no grace left (Seneca's own close would wait for the action).
    await (first.export('kinesis-transport/transport') as () => SenecaKinesisTransport)().close();
    await listener((_msg, reply) => reply(null, { by: 'second' }));

    expect(await answer).toEqual({ by: 'second' });
    hung!(null, { by: 'first' }); // lets Seneca close the first instance without waiting for its timeout
  });

  it('one aggregate of 2,000 acts never has more than maxActsInFlight (default 64) actions running', async () => {
    const { pool, client, actStream } = streams();
    let running = 0;
    let most = 0;
    let finished = 0;
    await pool.listener((seneca) =>
      seneca.add('role:math,cmd:hold', (_msg: any, reply: any) => {
        running++;
        most = Math.max(most, running);
        setTimeout(() => {
          running--;
          finished++;
          reply(null, { ok: true });
        }, 2);
      }),
    );

    const records = Array.from({ length: 2_000 }, (_, i) => ({
      data: Buffer.from(envelope(i)),
      partitionKey: 'seneca_any_act',
    }));
    await putRaw(client, actStream, [{ key: 'seneca_any_act', data: aggregate(records) }]);
    await eventually(() => finished === 2_000, { timeoutMs: 60_000, message: '2,000 acts finished' });

    expect(most).toBeLessThanOrEqual(64);
  });
});
