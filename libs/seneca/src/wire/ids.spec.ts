import {
  defaultSenecaInstanceId,
  newSenecaInstanceId,
  newSenecaMessageId,
  parseSenecaMessageId,
  senecaNid,
} from './ids.js';

describe('Seneca ids', () => {
  it('makes 12-character [0-9a-z] nids that do not repeat, using the whole alphabet', () => {
    const ids = Array.from({ length: 2000 }, () => senecaNid());
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.join('')).size).toBe(36);
    expect(senecaNid(5)).toMatch(/^[0-9a-z]{5}$/);
  });

  it('writes message ids as <mi>/<tx>, continuing a given transaction', () => {
    expect(newSenecaMessageId()).toMatch(/^[0-9a-z]{12}\/[0-9a-z]{12}$/);
    const continued = newSenecaMessageId('0d2j6z8fwu4g');
    expect(continued).toMatch(/^[0-9a-z]{12}\/0d2j6z8fwu4g$/);
    expect(parseSenecaMessageId(continued).tx).toBe('0d2j6z8fwu4g');
    expect(parseSenecaMessageId('wow1giea4m4u/0d2j6z8fwu4g')).toEqual({
      mi: 'wow1giea4m4u',
      tx: '0d2j6z8fwu4g',
    });
    expect(parseSenecaMessageId('custom-id')).toEqual({ mi: 'custom-id', tx: '' });
  });

  it('makes Seneca-style instance ids, one default per process', () => {
    const id = newSenecaInstanceId();
    const [nid, ms, pid, ...rest] = id.split('/');
    expect(nid).toMatch(/^[0-9a-z]{12}$/);
    expect(Math.abs(Number(ms) - Date.now())).toBeLessThan(5_000);
    expect(pid).toBe(String(process.pid));
    expect(rest).toEqual(['nest-kinesis', 'C']);
    expect(defaultSenecaInstanceId()).toBe(defaultSenecaInstanceId());
    expect(newSenecaInstanceId()).not.toBe(id);
  });
});
