import fc from 'fast-check';
import { errorForLog, forLog, isSafeId, MAX_ID_LENGTH } from './untrusted.js';

describe('isSafeId', () => {
  it('keeps UUIDs and Seneca ids, refuses empty, long, non-string and unsafe ids', () => {
    expect(isSafeId('0b6f4f1e-8a43-4c1e-9d43-1b2a3c4d5e6f')).toBe(true);
    expect(isSafeId('wow1giea4m4u/0d2j6z8fwu4g')).toBe(true);
    expect(isSafeId('a'.repeat(MAX_ID_LENGTH))).toBe(true);
    expect(isSafeId('a'.repeat(MAX_ID_LENGTH + 1))).toBe(false);
    expect(isSafeId('')).toBe(false);
    expect(isSafeId(42)).toBe(false);
    expect(isSafeId('a b')).toBe(false);
    expect(isSafeId('a\nb')).toBe(false);
    expect(isSafeId('__proto__')).toBe(true); // safe as a Map key; ids are never object keys
  });
});

describe('forLog', () => {
  it('cuts long values, noting the original length', () => {
    expect(forLog('x'.repeat(1000), 10)).toBe('xxxxxxxxxx...(1000 chars)');
  });

  it('replaces control characters, so a record cannot forge log lines', () => {
    expect(forLog('a\nlevel=error\u001b[31m\u2028b')).toBe('a?level=error?[31m?b');
  });

  it('never throws and stays bounded, whatever the value', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(forLog(cyclic)).toBe('<object>');
    expect(forLog(10n)).toBe('<bigint>');
    fc.assert(
      fc.property(fc.anything(), fc.integer({ min: 1, max: 300 }), (value, max) => {
        const out = forLog(value, max);
        expect(out.length).toBeLessThanOrEqual(max + 30);
        // eslint-disable-next-line no-control-regex
        expect(out).not.toMatch(/[\u0000-\u001f\u007f]/);
      }),
    );
  });

  it('errorForLog takes an error message', () => {
    expect(errorForLog(new Error('boom\n'))).toBe('boom?');
    expect(errorForLog('plain')).toBe('plain');
  });
});
