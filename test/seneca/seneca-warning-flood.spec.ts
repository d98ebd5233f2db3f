/** Warnings caused by Seneca acts on the server: rate-bounded (the server's WarnThrottle), every act counted. */
import { eventually } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { senecaSuite } from './seneca-suite.js';

const act = (id: string, extra: object) =>
  JSON.stringify({
    id,
    kind: 'act',
    origin: 'flooder',
    sync: false,
    act: { role: 'math', cmd: 'sum' },
    ...extra,
  });

describe('Seneca server, a flood of bad acts on kinesalite', () => {
  const suite = senecaSuite('kinesalite');

  it('1,000 invalid acts and 500 acts no handler serves make a couple of warn lines, all counted', async () => {
    const { stats } = suite.service.server;
    const before = { invalid: stats.invalid, events: stats.events };
    const invalid = Array.from({ length: 1_000 }, (_, i) => ({
      key: 'seneca_any_act',
      data: act(`inval${String(i).padStart(7, '0')}/txtxtxtxtxtx`, { track: Array(65).fill('hop') }),
    }));
    const unmatched = Array.from({ length: 500 }, (_, i) => ({
      key: 'seneca_any_act',
      data: act(`nomat${String(i).padStart(7, '0')}/txtxtxtxtxtx`, { act: { role: 'nobody', i } }),
    }));
    await putRaw(suite.admin, suite.actStream, [...invalid, ...unmatched]);
    await eventually(() => stats.invalid - before.invalid === 1_000 && stats.events - before.events === 500, {
      message: 'every act counted',
    });

    const lines = (message: string) => suite.warnings.filter((w) => w.message === message).length;
    expect(lines('invalid Seneca act on the act stream skipped')).toBe(1);
    expect(lines('no handler matches the Seneca act')).toBe(1);
  });
});
