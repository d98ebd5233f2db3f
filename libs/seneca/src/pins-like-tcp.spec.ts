/**
 * Pins over Kinesis behave as over Seneca's own tcp transport: every listener/client pin combination under
 * which a call succeeds over tcp succeeds over Kinesis. Each case runs the real seneca over tcp (127.0.0.1,
 * ephemeral port) and over Kinesis, and compares the outcomes.
 */
import { KINESIS_EMULATORS } from '../../../test/support/harness.js';
import { act, senecaStreams, type SenecaApp, type SenecaPool } from '../test/seneca-fixtures.js';

type Pin = string | undefined;
interface PinCase {
  listen: Pin;
  client: Pin;
  /** Also compare a call of a role:math action nobody has (act_not_found over tcp). */
  notFound?: boolean;
}

const CASES: PinCase[] = [
  { listen: 'role:math', client: 'role:math', notFound: true },
  { listen: 'role:math,cmd:sum', client: 'role:math,cmd:sum', notFound: true },
  { listen: 'role:math,cmd:sum', client: 'role:math' },
  { listen: 'role:math', client: 'role:math,cmd:sum', notFound: true },
  { listen: undefined, client: 'role:math' },
  { listen: 'role:math', client: undefined },
  { listen: 'role:math,cmd:sum', client: undefined },
  { listen: undefined, client: undefined, notFound: true },
];

const SUM = { role: 'math', cmd: 'sum', left: 1, right: 2 };
const NOPE = { role: 'math', cmd: 'nope' };

const addMath = (seneca: SenecaApp) =>
  seneca
    .add('role:math,cmd:sum', (msg: any, reply: any) => reply(null, { answer: msg.left + msg.right }))
    .add('role:math,cmd:product', (msg: any, reply: any) => reply(null, { answer: msg.left * msg.right }));

const pinned = (pin: Pin) => (pin === undefined ? {} : { pin });

/** The answer, or the error's code. */
const outcome = (seneca: SenecaApp, msg: Record<string, unknown>) =>
  act(seneca, msg).then(
    (out) => ({ out }),
    (error: any) => ({ code: error.code }),
  );

async function overTcp(pool: SenecaPool, c: PinCase) {
  const listener = addMath(pool.bare());
  const port = await new Promise<number>((resolve, reject) =>
    listener.listen(
      { type: 'tcp', host: '127.0.0.1', port: 0, ...pinned(c.listen) },
      (error: Error | null, out: { port: number }) => (error ? reject(error) : resolve(out.port)),
    ),
  );
  const client = pool.bare().client({ type: 'tcp', host: '127.0.0.1', port, ...pinned(c.client) });
  return { sum: await outcome(client, SUM), nope: c.notFound ? await outcome(client, NOPE) : undefined };
}

async function overKinesis(pool: SenecaPool, c: PinCase) {
  await pool.listener(addMath, pinned(c.listen));
  const client = await pool.client(pinned(c.client));
  return { sum: await outcome(client, SUM), nope: c.notFound ? await outcome(client, NOPE) : undefined };
}

const label = (pin: Pin) => (pin === undefined ? 'unpinned' : pin);

describe.each(KINESIS_EMULATORS)('Seneca pins on %s: same as tcp', (emulator) => {
  const streams = senecaStreams(emulator);

  it.each(CASES)('listener $listen, client $client', async (c) => {
    const { pool } = streams();
    const tcp = await overTcp(pool, c);
    expect(tcp.sum).toEqual({ out: { answer: 3 } }); // the case is one that works over tcp
    if (c.notFound) expect(tcp.nope).toEqual({ code: 'act_not_found' });

    const kinesis = await overKinesis(pool, c);

    expect({ case: `${label(c.listen)} / ${label(c.client)}`, ...kinesis }).toEqual({
      case: `${label(c.listen)} / ${label(c.client)}`,
      ...tcp,
    });
  });
});
