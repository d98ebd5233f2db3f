import fc from 'fast-check';
import { jsonDeeperThan } from './json-depth.js';

const depthOf = (value: unknown): number =>
  Array.isArray(value)
    ? 1 + Math.max(0, ...value.map(depthOf))
    : typeof value === 'object' && value !== null
      ? 1 + Math.max(0, ...Object.values(value).map(depthOf))
      : 0;

describe('jsonDeeperThan', () => {
  it('counts nesting of arrays and objects, not brackets inside strings or after escapes', () => {
    expect(jsonDeeperThan(Buffer.from('[[1]]'), 2)).toBe(false);
    expect(jsonDeeperThan(Buffer.from('[[[1]]]'), 2)).toBe(true);
    expect(jsonDeeperThan(Buffer.from('{"a":{"b":"[[[[{{{{"}}'), 2)).toBe(false);
    expect(jsonDeeperThan(Buffer.from('{"a\\"[[[":{"b":"\\\\"}}'), 2)).toBe(false);
  });

  it('agrees with the depth of the parsed value, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(6), (value, max) => {
        const data = Buffer.from(JSON.stringify(value));
        expect(jsonDeeperThan(data, max)).toBe(depthOf(value) > max);
      }),
      { numRuns: 1_000 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array(), (bytes) => void jsonDeeperThan(Buffer.from(bytes), 3)));
  });
});
