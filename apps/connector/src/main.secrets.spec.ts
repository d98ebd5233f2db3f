/**
 * The BUILT app as a real process never prints a password from its configuration: not in the config error for
 * a malformed DATABASE_URL / REDIS_URL, not in its start-up output at debug. Needs `npm run build` first.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStream } from '../../../libs/kinesis/src/index.js';
import {
  databaseUrl,
  eventually,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
} from '../../../test/support/harness.js';
import { assertConnectorBuilt, spawnConnector } from '../../../test/support/connector-process.js';

const SECRET = 'Pa55-w0rd-s3cr3t';

function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawnConnector(env, ['ignore', 'pipe', 'pipe']);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * The test database's URL with a user and this password (the local server trusts, so any password works), in
 * the user info and in the query string (`?password=`, which node-postgres reads too).
 */
function withPassword(url: string): string {
  const u = new URL(url);
  u.username ||= 'postgres';
  u.password = SECRET;
  u.searchParams.set('password', SECRET);
  return u.href;
}

describe('connector process (built): secrets', () => {
  beforeAll(() => assertConnectorBuilt());

  it('a malformed DATABASE_URL or REDIS_URL is named in the error, its password never printed', async () => {
    const { output, exited } = run({
      CONNECTOR_STREAM: 's',
      EMITTER: 'postgres',
      DATABASE_URL: `postgres://app:${SECRET}@db host/orders`,
      CHECKPOINT_STORE: 'redis',
      REDIS_URL: `redis://:${SECRET}@[cache:6379`,
    });
    expect(await exited).toBe(1);
    expect(output()).toContain('DATABASE_URL must be a URL');
    expect(output()).toContain('REDIS_URL must be a URL');
    expect(output()).not.toContain(SECRET);
  });

  it('prints no password at start-up, even at LOG_LEVEL=debug', async () => {
    const kinesis = kinesisClient('kinesalite');
    const stream = uniqueName('secrets');
    await ensureStream(kinesis, stream, { shardCount: 1 });
    kinesis.destroy();
    const { child, output, exited } = run({
      CONNECTOR_STREAM: stream,
      KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
      EMITTER: 'postgres',
      DATABASE_URL: withPassword(databaseUrl()),
      PG_TABLE: uniqueName('secrets').replace(/-/g, '_'),
      DEAD_LETTER_PATH: join(mkdtempSync(join(tmpdir(), 'secrets-')), 'dead.jsonl'),
      HTTP_PORT: '0',
      STATUS_INTERVAL_MS: '100',
      LOG_LEVEL: 'debug',
    });
    try {
      await eventually(() => /status: /.test(output()), {
        timeoutMs: 30_000,
        message: `a status line; output so far:\n${output()}`,
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output()).toMatch(/connector listening on http:\/\/127\.0\.0\.1:\d+/);
      // The start line names the database, its credentials replaced.
      expect(output()).toMatch(/emitter postgres \(postgres:\/\/\*\*\*@\S+ table /);
      expect(output()).not.toContain(SECRET);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
