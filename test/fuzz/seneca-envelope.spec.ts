/**
 * Fuzz: the Seneca wire module's readers (libs/seneca/src/wire), as both sides use them: the Nest server's path
 * (decodeSenecaAct on the parsed object, decodeSenecaReply) and the plugin's (decodeLegacySenecaAct on the record,
 * decodeSenecaReply); each throws only InvalidSenecaEnvelopeError. Plus the server's next step on a decoded act
 * (pattern lookup, directives stripped), which walks the act's values.
 */
import fc from 'fast-check';
import { isSafeId } from '../../libs/kinesis/src/untrusted/untrusted.js';
import {
  decodeLegacySenecaAct,
  decodeSenecaAct,
  decodeSenecaReply,
  encodeSenecaAct,
  encodeSenecaEnvelope,
  encodeSenecaReply,
  InvalidSenecaEnvelopeError,
  toSenecaResult,
  withoutDirectives,
  type OutgoingAct,
} from '../../libs/seneca/src/wire/index.js';
import { PatternMatcher } from '../../libs/transport/src/seneca/pattern-matcher.js';
import {
  anyBytes,
  envelopeWithHostileField,
  jsonText,
  jsonValue,
  mutated,
  pathologicalText,
  senecaNid,
  text,
  utf8,
  withRawField,
} from './arbitraries.js';
import { assertProperty, assertPrototypesClean, CostLog, decodeWithin, runs } from './invariants.js';

const costs = new CostLog();
afterAll(() => process.env.FUZZ_REPORT && console.log(`Seneca envelopes\n${costs.summary()}`));

const LEGACY_FIELDS = ['id', 'kind', 'origin', 'track', 'time', 'act', 'sync', 'msg$'] as const;
const NEXT_GEN_FIELDS = ['role', 'cmd', 'custom$', 'meta$'] as const;

const instanceId = fc
  .tuple(senecaNid, fc.integer({ min: 0, max: 2 ** 42 }), fc.nat({ max: 99_999 }))
  .map(([nid, time, pid]) => `${nid}/${time}/${pid}/3.38.0/C`);
const messageId = fc.tuple(senecaNid, senecaNid).map(([mi, tx]) => `${mi}/${tx}`);
const actBody = fc
  .tuple(fc.constantFrom('math', 'value'), fc.dictionary(text(8, 1), jsonValue(2), { maxKeys: 4 }))
  .map(([role, rest]) => ({ ...rest, role, cmd: 'sum' }));

const outgoing: fc.Arbitrary<OutgoingAct> = fc.record({
  id: messageId,
  origin: instanceId,
  track: fc.array(instanceId, { maxLength: 3 }),
  act: actBody,
  sync: fc.boolean(),
  pat: fc.constantFrom('', 'role:math'),
});

/** A legacy act as the real Seneca writes it, as a plain object. */
const legacyAct = outgoing.map((o) => JSON.parse(encodeSenecaAct(o).toString()) as Record<string, unknown>);
/** A next-gen act: the act's own fields plus meta$. */
const nextGenAct = fc
  .tuple(actBody, messageId, instanceId, fc.boolean())
  .map(([act, id, instance, sync]) => ({
    ...act,
    meta$: { id, sync, instance, pattern: 'cmd:sum,role:math' },
  }));

const routes = new PatternMatcher<string>();
routes.add({ role: 'math' }, 'role:math', 'generic');
routes.add({ role: 'math', cmd: 'sum' }, 'cmd:sum,role:math', 'sum');

/** The Nest server's path for an act record: decode, then look up the route and strip directives. */
function checkServerAct(input: Buffer, label: string): void {
  const { value: act } = decodeWithin(
    () =>
      costs.time(`server act: ${label}`, input.length, () => {
        let raw: unknown;
        try {
          raw = JSON.parse(input.toString('utf8'));
        } catch {
          return undefined; // the server's parseEnvelopeJson answers that (native-envelope.spec)
        }
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
        const decoded = decodeSenecaAct(raw as Record<string, unknown>);
        routes.find(decoded.act);
        withoutDirectives(decoded.act);
        return decoded;
      }),
    [InvalidSenecaEnvelopeError],
  );
  decodeWithin(
    () => costs.time(`server reply: ${label}`, input.length, () => decodeSenecaReply(input)),
    [InvalidSenecaEnvelopeError],
  );
  assertPrototypesClean();
  if (act) expect({ id: act.id, safe: isSafeId(act.id) }).toEqual({ id: act.id, safe: true });
}

/** The Seneca plugin's path: the act as seneca-transport takes it (the reply reader is the server's). */
function checkPlugin(input: Buffer, label: string): void {
  const { value } = decodeWithin(
    () => costs.time(`plugin request: ${label}`, input.length, () => decodeLegacySenecaAct(input)),
    [InvalidSenecaEnvelopeError],
  );
  assertPrototypesClean();
  if (value) expect({ id: value.id, safe: isSafeId(value.id) }).toEqual({ id: value.id, safe: true });
}

function checkBoth(input: Buffer, label: string): void {
  checkServerAct(input, label);
  checkPlugin(input, label);
}

const hostileEnvelope = fc.oneof(
  envelopeWithHostileField(legacyAct, LEGACY_FIELDS),
  envelopeWithHostileField(nextGenAct, NEXT_GEN_FIELDS),
  // Hostile values one level down, where the decoders read: meta$.id, act.role, time.client_sent.
  fc
    .tuple(nextGenAct, fc.constantFrom('id', 'sync', 'instance', 'track', 'custom', '__proto__'), jsonText)
    .map(([e, f, v]) => JSON.stringify(e).replace('"meta$":{', () => `"meta$":{${JSON.stringify(f)}:${v},`)),
  fc
    .tuple(legacyAct, fc.constantFrom('role', 'cmd', 'custom$', '__proto__'), jsonText)
    .map(([e, f, v]) => JSON.stringify(e).replace('"act":{', () => `"act":{${JSON.stringify(f)}:${v},`)),
);

describe('fuzz: Seneca envelopes', () => {
  it('round-trips: legacy acts and replies, and requests as the plugin reads them', () => {
    assertProperty(
      fc.property(outgoing, jsonValue(3), (o, result) => {
        const act = decodeSenecaAct(JSON.parse(encodeSenecaAct(o).toString()));
        expect(act).toMatchObject({
          format: 'legacy',
          id: o.id,
          origin: o.origin,
          track: o.track,
          sync: o.sync,
        });
        expect(act.act).toEqual(o.act);
        const timing = { listenRecv: 1, listenSent: 2 };
        const reply = decodeSenecaReply(encodeSenecaReply(act, { res: result }, 'listener/1', timing));
        expect(reply).toMatchObject({ id: o.id, kind: 'res', origin: o.origin, accept: 'listener/1' });
        expect(reply.res).toEqual(toSenecaResult(result));
        const wire = JSON.parse(encodeSenecaAct(o).toString());
        expect(decodeLegacySenecaAct(encodeSenecaEnvelope(wire)).envelope).toEqual(wire);
      }),
      { numRuns: runs(300) },
    );
  });

  it('arbitrary bytes and JSON: a decode or the documented error, prototypes untouched', () => {
    assertProperty(
      fc.property(fc.oneof(anyBytes, jsonText.map(utf8)), (input) => checkBoth(input, 'any')),
      { numRuns: runs(300) },
    );
  });

  it('valid legacy and next-gen acts with hostile fields (__proto__, constructor, wrong types)', () => {
    assertProperty(
      fc.property(hostileEnvelope, (input) => checkBoth(utf8(input), 'hostile field')),
      { numRuns: runs(600) },
    );
  });

  it('mutated valid acts', () => {
    assertProperty(
      fc.property(mutated(legacyAct.map((a) => utf8(JSON.stringify(a)))), (input) =>
        checkBoth(input, 'mutated'),
      ),
      { numRuns: runs(300) },
    );
  });

  it('pathological values up to 1 MiB in any field, and inside act', () => {
    const pathological = fc.oneof(
      fc
        .tuple(legacyAct, fc.constantFrom(...LEGACY_FIELDS), pathologicalText)
        .map(([t, f, v]) => withRawField(t, f, v)),
      fc
        .tuple(legacyAct, fc.constantFrom('role', 'cmd', 'custom$'), pathologicalText)
        .map(([t, f, v]) => withRawField(t, 'act', withRawField(t.act as Record<string, unknown>, f, v))),
      fc.tuple(nextGenAct, pathologicalText).map(([t, v]) => withRawField(t, 'meta$', v)),
    );
    assertProperty(
      fc.property(pathological, (input) => checkBoth(utf8(input), 'pathological')),
      { numRuns: runs(40) },
    );
  });

  // Counterexamples kept as plain tests (see the report of issue 10).
  it('regression: an act whose matched key holds an array nested 10,000 deep is not a RangeError', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const act = `{"role":${deep},"cmd":"sum"}`;
    checkServerAct(
      utf8(withRawField({ id: 'aaaaaaaaaaaa/bbbbbbbbbbbb', kind: 'act', sync: true }, 'act', act)),
      'regression',
    );
  });

  it('regression: a 256-character id with control characters is not kept', () => {
    const id = '\n'.repeat(256);
    checkBoth(utf8(JSON.stringify({ id, kind: 'act', act: { role: 'math' }, sync: true })), 'regression');
  });
});
