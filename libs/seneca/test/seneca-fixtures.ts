/** Test helpers for the Seneca plugin's suites: real Seneca instances wired to the emulators. */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import Seneca from 'seneca';
import { kinesisClient, uniqueName, type KinesisEmulator } from '../../../test/support/harness.js';
import type { Logger } from '../../kinesis/src/index.js';
import { kinesisTransport, type KinesisSenecaOptions } from '../src/index.js';
import type { SenecaKinesisTransport } from '../src/transport.js';

/** Seneca's own typings are `any` throughout; tests use instances as such. */
export type SenecaApp = any;
const createSeneca = Seneca as unknown as (options: Record<string, unknown>) => SenecaApp;

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  context: Record<string, unknown>;
}

/** A Logger that keeps every call, to assert what was logged (and that no payload was). */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  debug = (message: string, context: Record<string, unknown> = {}) => this.add('debug', message, context);
  info = (message: string, context: Record<string, unknown> = {}) => this.add('info', message, context);
  warn = (message: string, context: Record<string, unknown> = {}) => this.add('warn', message, context);
  error = (message: string, context: Record<string, unknown> = {}) => this.add('error', message, context);

  at(level: LogEntry['level']): LogEntry[] {
    return this.entries.filter((e) => e.level === level);
  }

  private add(level: LogEntry['level'], message: string, context: Record<string, unknown>) {
    this.entries.push({ level, message, context });
  }
}

/**
 * Seneca looks for an optional `./seneca.options.js` next to its caller; under jest's moduleNameMapper that
 * lookup fails with a configuration error instead of MODULE_NOT_FOUND. This base module has no such file.
 */
const noOptionsFileModule = {
  require(id: string): never {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  },
};

export function ready(seneca: SenecaApp): Promise<SenecaApp> {
  return new Promise((resolve, reject) =>
    seneca.ready((error?: Error) => (error ? reject(error) : resolve(seneca))),
  );
}

/** `seneca.act` as a promise: resolves with the result, rejects with Seneca's error. */
export function act(seneca: SenecaApp, msg: Record<string, unknown>): Promise<any> {
  return new Promise((resolve, reject) =>
    seneca.act(msg, (error: Error | null, out: unknown) => (error ? reject(error) : resolve(out))),
  );
}

/**
 * What Seneca's own logger prints meanwhile (through console.log / console.error), kept and not shown. A
 * pool's instances use `log: 'silent'`; pass Seneca's `log` option to see what it logs at that level.
 */
export function captureConsole(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const methods = ['log', 'error', 'warn', 'info'] as const;
  const originals = methods.map((name) => console[name]);
  for (const name of methods)
    console[name] = (...args: unknown[]) => void chunks.push(args.map(String).join(' '));
  return {
    text: () => chunks.join('\n'),
    restore: () => methods.forEach((name, i) => (console[name] = originals[i])),
  };
}

/** The plugin's transport of a Seneca instance (its stats, close()). */
export const transportOf = (seneca: SenecaApp): SenecaKinesisTransport =>
  (seneca.export('kinesis-transport/transport') as () => SenecaKinesisTransport)();

/** The error an act fails with (fails the test if it succeeds). */
export async function actError(seneca: SenecaApp, msg: Record<string, unknown>): Promise<any> {
  const out = await act(seneca, msg).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in out))
    throw new Error(`expected the act to fail, it answered ${JSON.stringify(out.result)}`);
  return out.error;
}

/**
 * Seneca instances for one test, all closed by `closeAll`. Options go through Seneca's `transport.kinesis`
 * (objects such as the AWS client cannot go through `seneca.use` options: see createKinesisTransport).
 */
export class SenecaPool {
  private readonly instances: SenecaApp[] = [];

  constructor(private readonly defaults: KinesisSenecaOptions) {}

  /** A quiet Seneca instance without the plugin, closed by closeAll. */
  bare(senecaOptions: Record<string, unknown> = {}): SenecaApp {
    const seneca = createSeneca({
      log: 'silent',
      timeout: 15_000,
      module: noOptionsFileModule,
      debug: { undead: true }, // a fatal error must not process.exit the jest worker
      ...senecaOptions,
    });
    this.instances.push(seneca);
    return seneca;
  }

  create(options: KinesisSenecaOptions = {}, senecaOptions: Record<string, unknown> = {}): SenecaApp {
    return this.bare({ ...senecaOptions, transport: { kinesis: { ...this.defaults, ...options } } }).use(
      kinesisTransport,
    );
  }

  async listener(
    addActions: (seneca: SenecaApp) => void,
    listenArgs: Record<string, unknown> = {},
    options: KinesisSenecaOptions = {},
  ): Promise<SenecaApp> {
    const seneca = this.create(options);
    addActions(seneca);
    seneca.listen({ type: 'kinesis', ...listenArgs });
    return ready(seneca);
  }

  async client(
    clientArgs: Record<string, unknown> = {},
    options: KinesisSenecaOptions = {},
  ): Promise<SenecaApp> {
    const seneca = this.create(options);
    seneca.client({ type: 'kinesis', ...clientArgs });
    return ready(seneca);
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      this.instances.splice(0).map((seneca) => new Promise<void>((resolve) => seneca.close(() => resolve()))),
    );
  }
}

/** Plugin options for one test: its own streams, created on first use, fast polling. */
export function testOptions(
  awsClient: KinesisClient,
  actStream: string,
  resStream: string,
  extra: KinesisSenecaOptions = {},
): KinesisSenecaOptions {
  return { awsClient, actStream, resStream, createStreams: true, shards: 2, pollIntervalMs: 50, ...extra };
}

export interface SenecaStreams {
  /** The suite's client for `emulator`. */
  client: KinesisClient;
  actStream: string;
  resStream: string;
  /** Seneca instances on the test's act and res streams (`testOptions`), closed after it. */
  pool: SenecaPool;
}

/**
 * Registers a Kinesis client per suite and, per test, streams of its own and a SenecaPool on them (closed
 * after the test). `streams()` is the current test's.
 */
export function senecaStreams(emulator: KinesisEmulator): () => SenecaStreams {
  let client: KinesisClient;
  let current: SenecaStreams | undefined;
  beforeAll(() => {
    client = kinesisClient(emulator);
  });
  beforeEach(() => {
    const actStream = uniqueName('seneca-act');
    const resStream = uniqueName('seneca-res');
    current = {
      client,
      actStream,
      resStream,
      pool: new SenecaPool(testOptions(client, actStream, resStream)),
    };
  });
  afterEach(() => current?.pool.closeAll());
  afterAll(() => client.destroy());
  return () => current!;
}

/** Math actions the suites call; `calls` sees every message an action received (with its meta). */
export function mathActions(calls: Array<{ msg: any; meta: any }> = []) {
  return (seneca: SenecaApp) => {
    seneca.add('role:math,cmd:sum', function (msg: any, reply: any, meta: any) {
      calls.push({ msg, meta });
      reply(null, { answer: msg.left + msg.right });
    });
    seneca.add('role:math,cmd:fail', function (msg: any, reply: any, meta: any) {
      calls.push({ msg, meta });
      reply(Object.assign(new Error('kaboom'), { code: 'KABOOM' }));
    });
    seneca.add('role:math,cmd:note', function (msg: any, reply: any, meta: any) {
      calls.push({ msg, meta });
      reply(null, { noted: true });
    });
  };
}
