/**
 * The hostile act-stream records the end-to-end fuzz writes: every family the decoder suites use, as Kinesis
 * records (data + partition key), each with the number of user records the server must account for.
 */
import fc from 'fast-check';
import { aggregate, deaggregate } from '../../libs/kinesis/src/aggregation/index.js';
import {
  anyBytes,
  envelopeWithHostileField,
  hashKey,
  hostileAggregate,
  jsonText,
  mutated,
  pathologicalText,
  POLLUTERS,
  RECORD_LIMIT,
  safeId,
  senecaNid,
  text,
  utf8,
  withRawField,
} from './arbitraries.js';

export interface FuzzRecord {
  family: string;
  data: Buffer;
  partitionKey: string;
}

/** User records the consumer delivers for `record`: its sub-records if it is a valid aggregate, else itself. */
export const userRecordCount = (record: FuzzRecord): number => deaggregate(record.data)?.length ?? 1;

export const SENECA_KEY = 'seneca_any_act';
const partitionKey = fc.oneof(fc.constant(SENECA_KEY), fc.constant('fuzz'), text(20, 1));

/** A native request for the `echo` pattern, replying to `resStream`. */
const nativeRequest = (resStream: string) =>
  fc.record({
    v: fc.constant(1),
    id: safeId,
    pattern: fc.constant('echo'),
    data: fc.jsonValue({ maxDepth: 2 }),
    replyTo: fc.record({ stream: fc.constant(resStream), hashKey }),
  });

/** A legacy Seneca act for the served `role:fuzz,cmd:echo`, sync or not. */
const senecaAct = fc.record({
  id: fc.tuple(senecaNid, senecaNid).map(([mi, tx]) => `${mi}/${tx}`),
  kind: fc.constant('act'),
  origin: fc.constant('fuzzclient00/1/1/3.38.0/C'),
  track: fc.constant(['fuzzclient00/1/1/3.38.0/C']),
  time: fc.record({ client_sent: fc.nat() }),
  act: fc.record({ role: fc.constant('fuzz'), cmd: fc.constant('echo'), x: fc.jsonValue({ maxDepth: 2 }) }),
  sync: fc.boolean(),
});

const asRecord =
  (family: string, key = partitionKey) =>
  (data: fc.Arbitrary<Buffer>) =>
    fc.tuple(data, key).map(([d, k]): FuzzRecord => ({ family, data: d, partitionKey: k }));

/**
 * Every family but the 1 MiB ones (see `largeRecords`). `serverInstanceId`: a Seneca act whose track already
 * holds it is a loop, which the server must answer with message_loop (and count).
 */
export function smallRecords(resStream: string, serverInstanceId: string): fc.Arbitrary<FuzzRecord> {
  const native = nativeRequest(resStream) as unknown as fc.Arbitrary<Record<string, unknown>>;
  const seneca = senecaAct as unknown as fc.Arbitrary<Record<string, unknown>>;
  const senecaKey = fc.constant(SENECA_KEY);
  const plain = fc.oneof(
    asRecord('bytes')(anyBytes.filter((b) => b.length > 0)),
    asRecord('json')(fc.oneof(jsonText, fc.constantFrom(...POLLUTERS)).map(utf8)),
    asRecord('native mutated')(mutated(native.map((e) => utf8(JSON.stringify(e))))),
    asRecord('native hostile field')(
      envelopeWithHostileField(native, ['v', 'id', 'pattern', 'data', 'replyTo', 'deadline', 'metadata']).map(
        utf8,
      ),
    ),
    asRecord('seneca mutated', senecaKey)(mutated(seneca.map((e) => utf8(JSON.stringify(e))))),
    asRecord(
      'seneca hostile field',
      senecaKey,
    )(envelopeWithHostileField(seneca, ['id', 'kind', 'origin', 'track', 'time', 'act', 'sync']).map(utf8)),
    asRecord(
      'seneca loop',
      senecaKey,
    )(seneca.map((e) => utf8(JSON.stringify({ ...e, sync: true, track: [serverInstanceId] })))),
    asRecord('kpl hostile')(hostileAggregate),
  );
  const aggregated = fc
    .array(plain, { minLength: 1, maxLength: 20 })
    .map((records): FuzzRecord => ({
      family: 'kpl aggregate',
      data: aggregate(records.map((r) => ({ data: r.data, partitionKey: r.partitionKey }))),
      partitionKey: 'agg',
    }))
    .filter((r) => r.data.length < RECORD_LIMIT - 1024);
  return fc.oneof({ weight: 6, arbitrary: plain }, { weight: 1, arbitrary: aggregated });
}

/** Pathological JSON up to 1 MiB: alone, as a native field (pattern, data, v, id) and as a Seneca act field. */
export function largeRecords(resStream: string): fc.Arbitrary<FuzzRecord> {
  const template = {
    v: 1,
    id: 'fuzz-large',
    pattern: 'echo',
    data: 1,
    replyTo: { stream: resStream, hashKey: '1' },
  };
  const act = {
    id: 'aaaaaaaaaaaa/bbbbbbbbbbbb',
    kind: 'act',
    sync: true,
    act: { role: 'fuzz', cmd: 'echo' },
  };
  return fc
    .oneof(
      asRecord('large json')(pathologicalText.map(utf8)),
      asRecord('large native field')(
        fc
          .tuple(fc.constantFrom('pattern', 'data', 'v', 'id', 'metadata'), pathologicalText)
          .map(([field, raw]) => utf8(withRawField({ ...template, id: `large-${field}` }, field, raw))),
      ),
      asRecord(
        'large seneca field',
        fc.constant(SENECA_KEY),
      )(
        fc
          .tuple(fc.constantFrom('role', 'cmd', 'x'), pathologicalText)
          .map(([field, raw]) => utf8(withRawField(act, 'act', withRawField(act.act, field, raw)))),
      ),
    )
    .filter((r) => r.data.length + r.partitionKey.length <= RECORD_LIMIT);
}

const DEEP = (depth: number, open = '[', close = ']') => open.repeat(depth) + '1' + close.repeat(depth);

/**
 * Records that reach the server's deeper steps whatever the sample: a native object pattern and a Seneca pattern
 * value nested 10,000 deep (route normalizing and matching recurse), a Seneca act looping back, a 1 MB id, an
 * aggregate of ~10,000 copies of one invalid envelope.
 */
export function knownHostileRecords(resStream: string, serverInstanceId: string): FuzzRecord[] {
  const replyTo = { stream: resStream, hashKey: '1' };
  const native = (id: string, field: string, raw: string) =>
    utf8(withRawField({ v: 1, id, pattern: 'echo', data: 1, replyTo }, field, raw));
  const act = (id: string, extra: Record<string, unknown>, role = '"fuzz"') =>
    utf8(
      JSON.stringify({ id, kind: 'act', sync: true, act: { role: 'R', cmd: 'echo' }, ...extra }).replace(
        '"role":"R"',
        () => `"role":${role}`,
      ),
    );
  const invalid = utf8(JSON.stringify({ v: 1, id: 'repeated', data: 1, replyTo }));
  return [
    {
      family: 'deep native pattern',
      partitionKey: 'fuzz',
      data: native('deep-pattern', 'pattern', `{"a":${DEEP(10_000)}}`),
    },
    {
      family: 'deep seneca role',
      partitionKey: SENECA_KEY,
      data: act('deeprole0000/000000000000', {}, DEEP(10_000)),
    },
    {
      family: 'seneca loop',
      partitionKey: SENECA_KEY,
      data: act('loopxx000000/000000000000', { track: [serverInstanceId] }),
    },
    {
      // The amplifier: one aggregate of the same invalid envelope (no pattern), as often as fits 1 MiB.
      family: 'kpl repeated invalid',
      partitionKey: 'fuzz',
      data: aggregate(
        Array.from({ length: Math.floor(900_000 / (invalid.length + 8)) }, () => ({
          data: invalid,
          partitionKey: 'fuzz',
        })),
      ),
    },
    {
      family: '1 MB id',
      partitionKey: 'fuzz',
      data: native('x', 'id', JSON.stringify('x'.repeat(1_000_000))),
    },
    ...POLLUTERS.map((p) => ({
      family: 'polluter',
      partitionKey: 'fuzz',
      data: native('polluter', 'data', p),
    })),
  ];
}
