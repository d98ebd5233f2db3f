/**
 * The Seneca side of the interop suites (test/seneca/interop-*.spec.ts): the Seneca actions Nest callers reach,
 * their counters, and small promise helpers. Re-exported by interop-fixtures.ts.
 */
import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import type { SenecaApp } from '../../libs/seneca/test/seneca-fixtures.js';

/** Counts per key: how often a handler or an action ran. */
export class Counter {
  private readonly counts = new Map<string, number>();
  hit(key: string): number {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }
  of(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

/** Results both sides return for `{ kind }` (a Nest handler, a Seneca action). */
export const VALUES: Record<string, unknown> = {
  null: null,
  array: [1, 'two', { three: 3 }],
  nested: { a: { b: [1, { c: null }] }, d: 'e' },
  number: 3,
  string: 'three',
};

/** `client.send` as a promise. */
export const send = (
  client: ClientProxy,
  pattern: Record<string, unknown>,
  data: unknown = {},
): Promise<any> => firstValueFrom(client.send(pattern, data));

/** The error a promise rejects with (fails the test if it resolves). */
export const rejection = (promise: Promise<unknown>): Promise<any> =>
  promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );

/** `seneca.act` without a callback: the act is fire-and-forget (`sync: false`). */
export const fireAndForget = (seneca: SenecaApp, msg: Record<string, unknown>): void => {
  seneca.act(msg);
};

/** A Seneca message without its `$` directives (custom$, transport$, tx$). */
export const ownFields = (msg: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(msg).filter(([key]) => !key.endsWith('$')));

/** What the Seneca actions of `senecaActions` share with the test. */
export interface SenecaSide {
  /** Runs of `cmd:count` (and `cmd:slow-count`), per marker. */
  counter: Counter;
  /** Reply callbacks `cmd:hold` has not called (the test releases them). */
  held: Array<(error: Error | null, out?: unknown) => void>;
}

/** The Seneca service Nest callers reach: actions under `role:seneca`; `tag` tells listeners apart. */
export function senecaActions(side: SenecaSide, tag = 'seneca') {
  return (seneca: SenecaApp) => {
    seneca.add('role:seneca,cmd:echo', function (msg: any, reply: any) {
      reply(null, { echo: ownFields(msg), by: tag });
    });
    seneca.add('role:seneca,cmd:count', function (msg: any, reply: any) {
      reply(null, { marker: msg.marker, count: side.counter.hit(msg.marker) });
    });
    seneca.add('role:seneca,cmd:slow-count', function (msg: any, reply: any) {
      const count = side.counter.hit(msg.marker);
      setTimeout(() => reply(null, { marker: msg.marker, count }), 1_000);
    });
    seneca.add('role:seneca,cmd:value', function (msg: any, reply: any) {
      reply(null, VALUES[msg.kind]);
    });
    /** A plain Error with a code: Seneca wraps it as act_execute (the code under details.orig$). */
    seneca.add('role:seneca,cmd:fail', function (_msg: any, reply: any) {
      reply(Object.assign(new Error('kaboom'), { code: 'KABOOM', details: { x: 1 } }));
    });
    /** A Seneca error (`this.error`): its own code. */
    seneca.add('role:seneca,cmd:refuse', function (this: SenecaApp, _msg: any, reply: any) {
      reply(this.error('REFUSED', { x: 2 }));
    });
    seneca.add('role:seneca,cmd:meta', function (msg: any, reply: any, meta: any) {
      reply(null, { custom: meta.custom, custom$: msg.custom$, id: meta.id, tx: meta.tx });
    });
    seneca.add('role:seneca,cmd:hold', function (_msg: any, reply: any) {
      side.held.push(reply);
    });
  };
}

export const senecaSide = (): SenecaSide => ({ counter: new Counter(), held: [] });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
