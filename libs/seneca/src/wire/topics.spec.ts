import { createRequire } from 'node:module';
import { partitionKeyToHashKey } from '../../../kinesis/src/index.js';
import {
  actPartitionKey,
  keySubsetTopics,
  patternUnderPin,
  pinHasWildcards,
  replyHashKey,
  resPartitionKey,
  SENECA_ANY_TOPIC,
  senecaAnyTopic,
  senecaTopic,
  topicOfActKey,
} from './index.js';

/** seneca-transport 8.x's own topic code (lib/transport-utils.js), bound to a real Seneca instance. */
interface TransportUtils {
  resolve_topic(opts: object, spec: { pin?: object }, args: object): string | (() => string);
  listen_topics(seneca: unknown, args: { pin?: unknown }, listenOptions: object): string[];
}

const nodeRequire = createRequire(import.meta.url);

describe('Seneca topics, against seneca-transport', () => {
  let seneca: any;
  let tu: TransportUtils;

  beforeAll(async () => {
    // seneca.d.ts declares an ES default export; at run time the CommonJS module itself is the default.
    const Seneca = (await import('seneca')).default as unknown as (options: object) => any;
    // Seneca requires an optional ./seneca.options.js through its caller's module; under jest that miss is a
    // moduleNameMapper configuration error instead of MODULE_NOT_FOUND: tell Seneca there is no such file.
    seneca = Seneca({ log: 'silent', module: { require: () => ({}) } });
    for (const pattern of [
      { role: 'math', cmd: 'sum' },
      { role: 'math', cmd: 'prod' },
      { role: 'user', cmd: 'get', v: 2 },
    ]) {
      seneca.add(pattern, (_msg: unknown, reply: (out: object) => void) => reply({}));
    }
    await seneca.ready();
    const exported = seneca.export('transport/utils');
    // Seneca 3.38 exports seneca-transport's preload shim under that name, not the utils object: build the
    // utils from seneca-transport's own file then, with its default msgprefix.
    const TransportUtil = nodeRequire('seneca-transport/lib/transport-utils.js');
    tu =
      typeof exported?.resolve_topic === 'function'
        ? exported
        : new TransportUtil({ options: { msgprefix: 'seneca_' }, seneca, callmap: new Map() });
  });
  afterAll(() => new Promise<void>((resolve) => (seneca ? seneca.close(() => resolve()) : resolve())));

  it.each([
    [
      { role: 'math', cmd: 'sum' },
      { role: 'math', cmd: 'sum', left: 1, right: 2 },
    ],
    [{ role: 'math' }, { role: 'math', cmd: 'sum', left: 1 }],
    [
      { role: 'math', cmd: '*' },
      { role: 'math', cmd: 'prod' },
    ],
    [
      { 'a-b': 'x.y z', n: 3, t: true, u: null },
      { 'a-b': 'x.y z', n: 3, t: true, u: null },
    ],
    [
      { cmd: 'Sum', Role: 'Math' },
      { cmd: 'Sum', Role: 'Math' },
    ],
  ])('pin %j sends %j to the topic resolve_topic names', (pin, args) => {
    expect(senecaTopic(pin, args)).toBe(tu.resolve_topic({}, { pin }, args));
  });

  it('names the topic of a client pinned exactly on a pattern as a listener pinned on it listens', () => {
    const pattern = { role: 'math', cmd: 'sum' };
    expect(senecaTopic(pattern)).toBe('seneca_cmd_sum_role_math_');
    expect(tu.listen_topics(seneca, { pin: pattern }, {})).toEqual([senecaTopic(pattern)]);
    expect(tu.listen_topics(seneca, { pin: { role: 'user', cmd: 'get', v: 2 } }, {})).toEqual([
      senecaTopic({ role: 'user', cmd: 'get', v: 2 }),
    ]);
    // A listener pinned on part of a pattern listens on every action's topic under the pin.
    expect(tu.listen_topics(seneca, { pin: 'role:math' }, {}).sort()).toEqual(
      [senecaTopic({ role: 'math', cmd: 'prod' }), senecaTopic({ role: 'math', cmd: 'sum' })].sort(),
    );
    expect(tu.listen_topics(seneca, {}, {})).toEqual([SENECA_ANY_TOPIC]);
  });

  it('maps topics to act and reply partition keys and back', () => {
    expect(actPartitionKey('seneca_any')).toBe('seneca_any_act');
    expect(resPartitionKey('seneca_cmd_sum_role_math_')).toBe('seneca_cmd_sum_role_math__res');
    expect(topicOfActKey('seneca_cmd_sum_role_math__act')).toBe('seneca_cmd_sum_role_math_');
    expect(topicOfActKey('seneca_any_res')).toBeUndefined();
    expect(topicOfActKey('0b8e7f5c-uuid')).toBeUndefined();
    // Replies are read on the res-stream shard of the MD5 of <topic>_res.
    expect(replyHashKey('seneca_any')).toBe(partitionKeyToHashKey('seneca_any_res'));
  });

  it("names the unpinned topic with seneca-transport's msgprefix", () => {
    expect(SENECA_ANY_TOPIC).toBe('seneca_any');
    expect(senecaAnyTopic('app_')).toBe('app_any');
    // Without a pin resolve_topic gives a function naming the topic.
    const unpinned = tu.resolve_topic({ msgprefix: 'seneca_' }, {}, {});
    expect(typeof unpinned === 'function' ? unpinned() : unpinned).toBe(SENECA_ANY_TOPIC);
  });

  it("names the topic of every subset of a pattern's keys, the whole pattern last", () => {
    expect(keySubsetTopics({ role: 'math', cmd: 'sum' })).toEqual([
      senecaTopic({ role: 'math' }),
      senecaTopic({ cmd: 'sum' }),
      senecaTopic({ role: 'math', cmd: 'sum' }),
    ]);
    expect(keySubsetTopics({ role: 'math' }, 'app_')).toEqual(['app_role_math_']);
    // Each is where a client pinned on that subset sends the act (resolve_topic).
    const act = { role: 'user', cmd: 'get', v: 2 };
    expect(keySubsetTopics(act).sort()).toEqual(
      ([{ role: 'user' }, { cmd: 'get' }, { v: 2 }, { role: 'user', cmd: 'get' }] as object[])
        .concat([{ role: 'user', v: 2 }, { cmd: 'get', v: 2 }, act])
        .map((pin) => tu.resolve_topic({ msgprefix: 'seneca_' }, { pin }, act))
        .sort(),
    );
    // 2^keys topics: past 8 keys only the pattern's own.
    const wide = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, i]));
    expect(keySubsetTopics(wide)).toEqual([senecaTopic(wide)]);
    expect(keySubsetTopics(Object.fromEntries(Object.entries(wide).slice(0, 8)))).toHaveLength(255);
  });

  it('tells which action patterns lie under a pin, globs included', () => {
    const pattern = { role: 'math', cmd: 'sum', v: 2 };
    expect(patternUnderPin(pattern, { role: 'math' })).toBe(true);
    expect(patternUnderPin(pattern, { role: 'math', v: '2' })).toBe(true);
    expect(patternUnderPin(pattern, { role: 'ma*', cmd: 's?m' })).toBe(true);
    expect(patternUnderPin(pattern, { role: 'm.th' })).toBe(false);
    expect(patternUnderPin(pattern, { role: 'user' })).toBe(false);
    expect(patternUnderPin(pattern, { role: 'math', x: '*' })).toBe(false);
  });

  it('knows when a pin needs the act to name its topic', () => {
    expect(pinHasWildcards({ role: 'math', cmd: '*' })).toBe(true);
    expect(pinHasWildcards({ role: 'ma?h' })).toBe(true);
    expect(pinHasWildcards({ role: 'math', v: 1 })).toBe(false);
  });
});
