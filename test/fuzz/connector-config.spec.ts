/**
 * Fuzz: the connector app's config loader (apps/connector/src/config.ts). Contract: any environment map (and any
 * CONNECTOR_CONFIG_FILE content) gives a validated config or a ConfigValidationError, nothing else; every problem
 * names the variable it is about; no problem quotes a secret (a URL's password, in any variable); prototypes stay
 * untouched.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CONFIG_KEYS, ConfigValidationError, loadConnectorConfig } from '../../apps/connector/src/config.js';
import { hostileKey, jsonText, text } from './arbitraries.js';
import { assertProperty, assertPrototypesClean, decodeWithin, runs } from './invariants.js';

const NAMES = [...CONFIG_KEYS, 'CONNECTOR_CONFIG_FILE'];
const dir = mkdtempSync(join(tmpdir(), 'fuzz-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A password no legitimate message contains: it must never show up in a problem. */
const password = fc.stringMatching(/^[A-Za-z0-9]{10,24}$/).map((s) => `Pw${s}`);

/** URL-like values with credentials, valid or broken (bad port, spaces, missing host). */
const secretUrl = fc
  .tuple(
    fc.constantFrom('postgres', 'redis', 'rediss', 'http', 'https', 'x'),
    fc.stringMatching(/^[a-z]{1,8}$/),
    password,
    fc.constantFrom('127.0.0.1', 'db.internal', '', 'host name', '[::1]'),
    fc.constantFrom('', ':5432', ':99999', ':-1', ':abc'),
    fc.constantFrom('', '/test', '/db?sslmode=require', '/a b'),
  )
  .map(([scheme, user, pw, host, port, path]) => ({
    pw,
    value: `${scheme}://${user}:${pw}@${host}${port}${path}`,
  }));

const plainValue = fc.oneof(
  fc.constantFrom(
    '',
    'true',
    'false',
    '0',
    '1',
    '-1',
    '1e3',
    ' 42 ',
    'TRIM_HORIZON',
    'latest',
    'postgres',
    'redis',
  ),
  fc.constantFrom(
    's3',
    'dynamodb',
    'kinesis',
    'leases',
    'memory',
    'file',
    'json',
    'string',
    'debug',
    'orders',
  ),
  text(40),
  fc.constantFrom('9'.repeat(400), 'x'.repeat(70_000), '__proto__', '{"__proto__":{"polluted":1}}'),
);

/** An environment: known keys with plain or secret values, plus unrelated and prototype-named keys. */
const environment = fc
  .tuple(
    fc.dictionary(fc.constantFrom(...CONFIG_KEYS), plainValue, { maxKeys: 14 }),
    fc.array(fc.tuple(fc.constantFrom(...CONFIG_KEYS), secretUrl), { maxLength: 4 }),
    fc.dictionary(hostileKey, text(10), { maxKeys: 3 }),
  )
  .map(([plain, secrets, other]) => {
    const env: Record<string, string> = { ...other, ...plain };
    for (const [key, { value }] of secrets) env[key] = value;
    return { env, passwords: secrets.map(([, s]) => s.pw) };
  });

function checkLoad(env: Record<string, string | undefined>, passwords: string[]): string[] {
  const { error } = decodeWithin(() => loadConnectorConfig(env), [ConfigValidationError]);
  assertPrototypesClean();
  if (!error) return [];
  const problems = (error as ConfigValidationError).problems;
  for (const problem of problems) {
    expect({ problem, names: NAMES.some((name) => problem.includes(name)) }).toEqual({
      problem,
      names: true,
    });
  }
  for (const pw of passwords) expect(error.message).not.toContain(pw);
  return problems;
}

describe('fuzz: connector config loader', () => {
  it('any environment: a config or ConfigValidationError naming each variable, never quoting a password', () => {
    assertProperty(
      fc.property(environment, ({ env, passwords }) => void checkLoad(env, passwords)),
      { numRuns: runs(150) },
    );
  });

  it('any CONNECTOR_CONFIG_FILE content: hostile JSON, prototype keys, secrets, broken syntax', () => {
    const fileContent = fc.oneof(
      jsonText.map((t) => ({ content: t, passwords: [] as string[] })),
      fc
        .tuple(fc.constantFrom(...CONFIG_KEYS), secretUrl, fc.constantFrom('', '}', ',', ' x', '"'))
        .map(([key, { value, pw }, tail]) => ({
          content: `{${JSON.stringify(key)}:${JSON.stringify(value)}${tail}`,
          passwords: [pw],
        })),
      fc.tuple(fc.constantFrom(...CONFIG_KEYS), secretUrl).map(([key, { value, pw }]) => ({
        content: `{"__proto__":{"polluted":1},${JSON.stringify(key)}: ${value}}`,
        passwords: [pw],
      })),
    );
    let n = 0;
    assertProperty(
      fc.property(fileContent, environment, ({ content, passwords }, { env, passwords: envPasswords }) => {
        const file = join(dir, `config-${n++}.json`);
        writeFileSync(file, content);
        checkLoad({ ...env, CONNECTOR_CONFIG_FILE: file }, [...passwords, ...envPasswords]);
      }),
      { numRuns: runs(60) },
    );
  });

  it('regression: a URL with a password in a non-URL variable (S3_BUCKET, START_POSITION) is not quoted', () => {
    for (const key of ['S3_BUCKET', 'START_POSITION', 'PG_TABLE', 'HTTP_PORT']) {
      const problems = checkLoad(
        {
          CONNECTOR_STREAM: 's',
          S3_BUCKET: 'bucket',
          EMITTER: 'postgres',
          DATABASE_URL: 'postgres://h/db',
          [key]: 'postgres://u:PwHunter2Secret@h/db',
        },
        ['PwHunter2Secret'],
      );
      expect(problems.some((p) => p.includes(key))).toBe(true);
    }
  });
});
