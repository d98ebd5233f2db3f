/**
 * What a failed command prints: one line on stderr and exit code 1, never a secret the command line was given
 * (a password in a Redis URL, credentials in an endpoint's userinfo), whatever the error that carries it.
 */
import { run } from '../../libs/cli/src/run.js';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';

const SECRET = 's3cret-Pa55';

/** Runs with exactly these arguments (no endpoints added). */
async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  });
  return { code, stdout, stderr };
}

describe('cli: failures', () => {
  const kinesis = kinesisClient('kinesalite');
  const stream = uniqueName('cli-errors');
  beforeAll(() => ensureStream(kinesis, stream, { shardCount: 1 }));
  afterAll(() => kinesis.destroy());

  it.each([
    [
      'an endpoint URL with credentials that does not parse',
      ['--endpoint', `http://AKIA:${SECRET}@127.0.0.1:1 x`],
    ],
    [
      'an endpoint URL with credentials that does not answer',
      ['--endpoint', `http://AKIA:${SECRET}@127.0.0.1:1`],
    ],
  ])('never prints the secrets of %s', async (_, endpoint) => {
    const result = await runCli([...endpoint, 'streams', 'describe', stream]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^nestjs-kinesis-transport: .+\n$/);
    expect(result.stderr).not.toContain(SECRET);
  });

  it.each([
    ['a Redis URL that does not parse', `redis:redis://user:${SECRET}@127.0.0.1:99999`],
    ['a Redis URL with a wrong password', `redis:redis://user:${SECRET}@127.0.0.1:6379`],
  ])('never prints the password of %s', async (_, checkpoints) => {
    const endpoint = ['--endpoint', kinesisEndpoint('kinesalite')];
    const result = await runCli([
      ...endpoint,
      'lag',
      'app',
      '--stream',
      stream,
      '--checkpoints',
      checkpoints,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^nestjs-kinesis-transport: .+\n$/);
    expect(result.stderr).not.toContain(SECRET);
  });
});
