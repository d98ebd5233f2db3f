/**
 * The default deserializer of `streams` (jsonOrBytes) on anyone's bytes: never throws, parses only bounded
 * UTF-8 JSON, and otherwise hands the bytes over unchanged.
 */
import fc from 'fast-check';
import { jsonDeeperThan } from '../../libs/kinesis/src/untrusted/json-depth.js';
import { jsonOrBytes, STREAM_JSON_LIMITS } from '../../libs/transport/src/shared/consumed-streams.js';
import { anyBytes, jsonText, pathologicalText, POLLUTERS, utf8 } from './arbitraries.js';
import { assertProperty, assertPrototypesClean, runs } from './invariants.js';

/** The depth of a parsed value, walked without recursion (a hostile value may be deep). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    max = Math.max(max, depth + 1);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

/** What jsonOrBytes must give for `data`: the same bytes back, or a bounded value JSON.parse gives for them. */
function checkDecoded(data: Buffer): void {
  const value = jsonOrBytes(data);
  if (Buffer.isBuffer(value)) {
    if (!value.equals(data)) throw new Error('bytes handed over changed');
    return;
  }
  if (data.length > STREAM_JSON_LIMITS.maxBytes) throw new Error('parsed past maxBytes');
  if (depthOf(value) > STREAM_JSON_LIMITS.maxDepth) throw new Error('parsed past maxDepth');
  expect(value).toEqual(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data)));
  assertPrototypesClean();
}

describe('jsonOrBytes (the default deserializer of streams) on hostile bytes', () => {
  it('never throws on any bytes: the same bytes back, or their bounded JSON value', () => {
    assertProperty(
      fc.property(anyBytes, (data) => checkDecoded(data)),
      { numRuns: runs(400) },
    );
  });

  it('parses JSON text of any shape within the bounds, and hands pathological JSON over as bytes', () => {
    assertProperty(
      fc.property(jsonText, (text) => checkDecoded(utf8(text))),
      { numRuns: runs(400) },
    );
    assertProperty(
      fc.property(pathologicalText, (text) => {
        const data = utf8(text);
        checkDecoded(data);
        if (jsonDeeperThan(data, STREAM_JSON_LIMITS.maxDepth))
          expect(Buffer.isBuffer(jsonOrBytes(data))).toBe(true);
      }),
      { numRuns: runs(12) },
    );
  });

  it('keeps prototypes clean for polluting keys, and bytes that are not UTF-8 stay bytes', () => {
    for (const text of POLLUTERS) checkDecoded(utf8(text));
    // `"<0xff>"` would be a JSON string after a lenient decode (U+FFFD): strict UTF-8 keeps it bytes.
    const notUtf8 = Buffer.from([0x22, 0xff, 0x22]);
    expect(jsonOrBytes(notUtf8)).toBe(notUtf8);
    const tooLarge = Buffer.from(`"${'x'.repeat(STREAM_JSON_LIMITS.maxBytes)}"`);
    expect(jsonOrBytes(tooLarge)).toBe(tooLarge);
    expect(jsonOrBytes(utf8('{"a":[1,2]}'))).toEqual({ a: [1, 2] });
  });
});
