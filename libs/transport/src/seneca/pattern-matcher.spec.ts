import { PatternMatcher } from './pattern-matcher.js';

function matcher(...patterns: Record<string, unknown>[]): PatternMatcher<string> {
  const m = new PatternMatcher<string>();
  for (const p of patterns) m.add(p, JSON.stringify(p), JSON.stringify(p));
  return m;
}
const found = (m: PatternMatcher<string>, act: Record<string, unknown>) => m.find(act)?.value;

describe('PatternMatcher (Seneca specificity)', () => {
  it('matches a pattern whose key/values are all in the act, ignoring extra act keys', () => {
    const m = matcher({ role: 'math', cmd: 'sum' });
    expect(found(m, { role: 'math', cmd: 'sum', left: 1, right: 2 })).toBe('{"role":"math","cmd":"sum"}');
    expect(found(m, { role: 'math' })).toBeUndefined();
    expect(found(m, { role: 'math', cmd: 'prod' })).toBeUndefined();
    expect(found(m, { cmd: 'sum', role: 'Math' })).toBeUndefined();
  });

  it('picks the pattern with the most keys, whatever the order they were added in', () => {
    const patterns = [
      { role: 'math' },
      { role: 'math', cmd: 'sum' },
      { role: 'math', cmd: 'sum', exact: 'yes' },
    ];
    for (const order of [patterns, [...patterns].reverse()]) {
      const m = matcher(...order);
      expect(found(m, { role: 'math', cmd: 'sum', exact: 'yes' })).toBe(
        '{"role":"math","cmd":"sum","exact":"yes"}',
      );
      expect(found(m, { role: 'math', cmd: 'sum', exact: 'no' })).toBe('{"role":"math","cmd":"sum"}');
      expect(found(m, { role: 'math', cmd: 'prod' })).toBe('{"role":"math"}');
    }
  });

  it('breaks ties by the first differing key in alphabetical order, then by route', () => {
    expect(found(matcher({ role: 'math' }, { cmd: 'sum' }), { role: 'math', cmd: 'sum' })).toBe(
      '{"cmd":"sum"}',
    );
    expect(found(matcher({ b: 1, c: 1 }, { a: 1, c: 1 }), { a: 1, b: 1, c: 1 })).toBe('{"a":1,"c":1}');
    expect(found(matcher({ v: '1' }, { v: 1 }), { v: 1 })).toBe('{"v":"1"}'); // '{"v":"1"}' < '{"v":1}'
    expect(found(matcher({ v: 1 }, { v: '1' }), { v: 1 })).toBe('{"v":"1"}');
  });

  it('compares values as strings, as patrun does, and nested objects by JSON', () => {
    expect(found(matcher({ v: '2' }), { v: 2 })).toBe('{"v":"2"}');
    expect(found(matcher({ on: true }), { on: 'true' })).toBe('{"on":true}');
    expect(found(matcher({ q: { a: 1 } }), { q: { a: 1 } })).toBe('{"q":{"a":1}}');
    expect(found(matcher({ q: { a: 1 } }), { q: { a: 2 } })).toBeUndefined();
  });

  it('does not match keys from the prototype, and {} matches anything (least specific)', () => {
    expect(found(matcher({ toString: 'x' }), {})).toBeUndefined();
    const m = matcher({}, { role: 'a' });
    expect(found(m, { role: 'a' })).toBe('{"role":"a"}');
    expect(found(m, { role: 'b' })).toBe('{}');
  });

  it('replaces a pattern registered again under the same route', () => {
    const m = new PatternMatcher<string>();
    m.add({ a: 1 }, 'r', 'first');
    m.add({ a: 1 }, 'r', 'second');
    expect(m.size).toBe(1);
    expect(m.find({ a: 1 })?.value).toBe('second');
  });

  describe('against real patrun', () => {
    let Patrun: (options?: object) => { add(p: object, d: unknown): unknown; find(s: object): unknown };
    beforeAll(async () => {
      Patrun = ((await import('seneca')).default as any).util.Patrun; // the CommonJS module is the default
    });
    const cases: [Record<string, unknown>[], Record<string, unknown>][] = [
      [[{ role: 'math' }, { role: 'math', cmd: 'sum' }], { role: 'math', cmd: 'sum', left: 1 }],
      [[{ role: 'math', cmd: 'sum' }, { role: 'math' }], { role: 'math', cmd: 'prod' }],
      [
        [
          { a: 1, c: 1 },
          { b: 1, c: 1 },
        ],
        { a: 1, b: 1, c: 1 },
      ],
      [[{ role: 'math' }, { cmd: 'sum' }], { role: 'math', cmd: 'sum' }],
      [[{ a: 1, b: 2 }, { a: 1, c: 3 }, { a: 1 }], { a: 1, b: 2, c: 3 }],
      [[{ v: '2' }], { v: 2 }],
    ];
    it.each(cases)('agrees with patrun on %j for %j', (patterns, act) => {
      const pm = Patrun();
      for (const p of patterns) pm.add(p, JSON.stringify(p));
      expect(found(matcher(...patterns), act)).toBe(pm.find(act));
    });

    it('differs from patrun where patrun stops at an alphabetically earlier but smaller pattern', () => {
      const pm = Patrun();
      pm.add({ a: 1 }, '{"a":1}');
      pm.add({ b: 1, c: 1 }, '{"b":1,"c":1}');
      expect(pm.find({ a: 1, b: 1, c: 1 })).toBe('{"a":1}');
      expect(found(matcher({ a: 1 }, { b: 1, c: 1 }), { a: 1, b: 1, c: 1 })).toBe('{"b":1,"c":1}');
    });
  });
});
