import type { MessageHandler, WritePacket } from '@nestjs/microservices';
import { of, throwError } from 'rxjs';
import { silentLogger, type KinesisRecord } from '../../../kinesis/src/index.js';
import { DedupeWindow } from '../../../kinesis/src/untrusted/dedupe-window.js';
import { WarnThrottle } from '../../../kinesis/src/untrusted/warn-throttle.js';
import { serverProtocols } from '../protocols.js';
import type { KinesisContext } from '../shared/kinesis.context.js';
import { serverSettings, type ServerKinesisOptions } from '../shared/options.js';
import type { ServerProtocolContext } from '../shared/protocol.js';
import type { Replies } from '../shared/reply-writer.js';
import { newServerStats } from '../shared/types.js';
import { senecaCallContext } from './seneca-call-context.js';
import type { SenecaContext } from './seneca-context.js';
import { SenecaServerProtocol } from './seneca-server-protocol.js';

const ME = 'meeeeeeeeeee/1/1/nest-kinesis/C';
const CALLER = 'callercaller/1/1/3.38.0/C';

/** A server context without Kinesis or Nest: handlers are plain functions. */
function contextOf(options: ServerKinesisOptions, handlers = new Map<string, MessageHandler>()) {
  const context: ServerProtocolContext = {
    options: serverSettings(options),
    stats: newServerStats(),
    logger: silentLogger,
    warnings: new WarnThrottle(silentLogger),
    dedupe: new DedupeWindow(),
    handler: (route) => handlers.get(route),
    normalizePattern: (pattern) => JSON.stringify(pattern),
    runRequest: (handler, data, ctx, respond: (out: WritePacket) => Promise<void>) => {
      void (async () => {
        try {
          const out = await (handler(data, ctx) as Promise<unknown>);
          (out as any).subscribe({
            next: (response: unknown) => void respond({ response }),
            error: (err: unknown) => void respond({ err, isDisposed: true }),
            complete: () => void respond({ isDisposed: true }),
          });
        } catch (err) {
          await respond({ err, isDisposed: true });
        }
      })();
    },
    runEvent: async (route, packet, ctx) => handlers.get(route)!(packet.data, ctx),
    runEventWithRetries: () => {
      throw new Error('native only');
    },
    serialize: (packet) => packet,
    deserialize: (value) => value as never,
    lateReply: () => undefined,
    reportError: (error) => {
      throw error;
    },
  };
  return context;
}

/** The Seneca server protocol over that context; replies are collected. */
function setup(options: ServerKinesisOptions = {}) {
  const handlers = new Map<string, MessageHandler>();
  const replies: { key: string; body: any }[] = [];
  const calls: { route: string; data: unknown; ctx: KinesisContext; tx?: string }[] = [];
  const context = contextOf({ seneca: { instanceId: ME }, ...options }, handlers);
  const { stats } = context;
  const writer: Replies = {
    allows: () => true,
    put: async (_stream, record) =>
      void replies.push({ key: record.partitionKey, body: JSON.parse(record.data.toString()) }),
  };
  const dispatch = new SenecaServerProtocol(context);
  const add = (pattern: unknown, route: string, isEvent: boolean, fn: (data: any) => any) => {
    handlers.set(route, (async (data: unknown, ctx: KinesisContext) => {
      calls.push({ route, data, ctx, tx: senecaCallContext.getStore()?.tx });
      return fn(data);
    }) as MessageHandler);
    dispatch.register(pattern, route, isEvent);
  };
  const handle = (raw: Record<string, unknown>, partitionKey = 'seneca_any_act') =>
    dispatch.handle({
      raw,
      record: { partitionKey, sequenceNumber: '1' } as KinesisRecord,
      shardId: 'shard-0',
      handlerDone: () => undefined,
      shard: { closed: false },
      replies: writer,
    });
  return { dispatch, add, handle, replies, calls, stats };
}

const act = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id: `${Math.random().toString(36).slice(2, 14).padEnd(12, '0')}/txtxtxtxtxtx`,
  kind: 'act',
  origin: CALLER,
  track: [CALLER],
  time: { client_sent: 1 },
  act: fields,
  sync: true,
  ...extra,
});

describe('SenecaServerProtocol', () => {
  it('is off for protocol native; auto takes Seneca shapes only, seneca takes everything', () => {
    expect(serverProtocols(contextOf({ protocol: 'native' })).seneca).toBeUndefined();
    const auto = setup().dispatch;
    expect(auto.accepts(act({}))).toBe(true);
    expect(auto.accepts({ v: 1, id: 'x', pattern: 'p', data: 1 })).toBe(false);
    expect(setup({ protocol: 'seneca' }).dispatch.accepts({ v: 1, id: 'x', pattern: 'p', data: 1 })).toBe(
      true,
    );
  });

  it('serves seneca_any, the exact-pin topic of each object pattern and those of its key subsets, or the topics it is given', () => {
    const { dispatch, add } = setup();
    add({ role: 'math', cmd: 'sum' }, 'r1', false, () => ({}));
    add('sum', 'sum', false, () => 1); // a string pattern: no topic, not reachable
    add({ role: 'audit' }, 'r2', true, () => undefined);
    expect(dispatch.servedTopics.sort()).toEqual([
      'seneca_any',
      'seneca_cmd_sum_',
      'seneca_cmd_sum_role_math_',
      'seneca_role_audit_',
      'seneca_role_math_',
    ]);
    const fixed = setup({ seneca: { instanceId: ME, topics: ['t1'] } });
    fixed.add({ role: 'math' }, 'r', false, () => ({}));
    expect(fixed.dispatch.servedTopics).toEqual(['t1']);
  });

  it('ignores acts on topics it does not serve', async () => {
    const { add, handle, replies, calls, stats } = setup();
    add({ role: 'math' }, 'r', false, () => ({}));
    await handle(act({ role: 'math' }), 'seneca_other_act');
    await handle(act({ role: 'math' }), 'a-uuid-partition-key');
    expect({ calls: calls.length, replies: replies.length, ignored: stats.ignored }).toEqual({
      calls: 0,
      replies: 0,
      ignored: 2,
    });
  });

  it('runs the most specific handler with the $-free act, in the act transaction, and replies on <topic>_res', async () => {
    const { add, handle, replies, calls } = setup();
    add({ role: 'math' }, 'generic', false, () => ({ generic: true }));
    add({ role: 'math', cmd: 'sum' }, 'sum', false, (d) => of({ answer: d.left + d.right }));
    await handle(
      act({ role: 'math', cmd: 'sum', left: 1, right: 2, custom$: { t: 1 } }),
      'seneca_role_math__act',
    );
    expect(calls[0]).toMatchObject({
      route: 'sum',
      data: { role: 'math', cmd: 'sum', left: 1, right: 2 },
      tx: 'txtxtxtxtxtx',
    });
    expect((calls[0].ctx as SenecaContext).getSeneca()).toMatchObject({
      tx: 'txtxtxtxtxtx',
      custom: { t: 1 },
      topic: 'seneca_role_math_',
    });
    expect(replies).toEqual([
      {
        key: 'seneca_role_math__res',
        body: expect.objectContaining({ kind: 'res', accept: ME, res: { answer: 3 } }),
      },
    ]);
  });

  it('answers act_not_found, message_loop and handler errors; skips duplicates; writes nothing unless sync', async () => {
    const { add, handle, replies, calls, stats } = setup();
    add({ role: 'fail' }, 'fail', false, () => throwError(() => ({ code: 'E_X', message: 'nope' })));
    add({ role: 'ok' }, 'ok', false, () => of(1));
    await handle(act({ role: 'none' }));
    await handle(act({ role: 'ok' }, { track: [CALLER, ME] }));
    await handle(act({ role: 'fail' }));
    const once = act({ role: 'ok' });
    await handle(once);
    await handle(once);
    await handle(act({ role: 'ok' }, { sync: false }));
    await handle(act({ role: 'ok' }, { sync: undefined }));
    expect(replies.map((r) => r.body.error?.code ?? r.body.res)).toEqual([
      'act_not_found',
      'message_loop',
      'E_X',
      { value: 1 },
    ]);
    expect(calls.map((c) => c.route)).toEqual(['fail', 'ok', 'ok', 'ok']);
    expect(stats.duplicates).toBe(1);
  });

  it('sends fire-and-forget acts to event handlers too, but sync acts only to message handlers', async () => {
    const { add, handle, replies, calls } = setup();
    add({ role: 'audit' }, 'audit', true, () => undefined);
    await handle(act({ role: 'audit' }, { sync: false }));
    await handle(act({ role: 'audit' }));
    expect(calls.map((c) => c.route)).toEqual(['audit']);
    expect(replies.map((r) => r.body.error.code)).toEqual(['act_not_found']);
  });

  it('counts invalid acts and answers none of them', async () => {
    const { handle, replies, stats } = setup();
    await handle({ id: 'a/b', act: {} });
    await handle(act({}, { id: null }));
    await handle(act({}, { kind: 'res' }));
    expect({ invalid: stats.invalid, replies: replies.length }).toEqual({ invalid: 3, replies: 0 });
  });
});
