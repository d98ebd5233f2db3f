/** `streams create` and `streams describe`, the exit codes and the output modes, on the local emulators. */
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient, uniqueName } from '../support/harness.js';
import { cli } from './cli-harness.js';

const MAX_HASH_KEY = (1n << 128n) - 1n;

describe('cli: streams', () => {
  const kinesis = kinesisClient('kinesalite');
  afterAll(() => kinesis.destroy());

  it('creates a provisioned stream, waits for ACTIVE, and describes its shards and hash ranges', async () => {
    const name = uniqueName('cli-streams');
    const created = await cli(['--json', 'streams', 'create', name, '--shards', '3', '--wait']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(created.stdout)).toEqual({
      streamName: name,
      status: 'ACTIVE',
      mode: 'PROVISIONED',
      shards: 3,
    });
    const { StreamDescriptionSummary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    );
    expect(StreamDescriptionSummary?.OpenShardCount).toBe(3);

    const described = await cli(['--json', 'streams', 'describe', name]);
    expect(described.code).toBe(0);
    const d = JSON.parse(described.stdout);
    expect(d).toMatchObject({
      streamName: name,
      status: 'ACTIVE',
      mode: 'PROVISIONED',
      retentionHours: 24,
      encryption: 'NONE',
    });
    expect(d.consumers).toBeUndefined(); // kinesalite has no ListStreamConsumers
    expect(d.shards).toHaveLength(3);
    // The ranges tile the hash key space: first starts at 0, each starts after the previous, the last ends at 2^128-1.
    const ranges = d.shards.map((s: any) => [BigInt(s.startingHashKey), BigInt(s.endingHashKey)]);
    expect(ranges[0][0]).toBe(0n);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1] + 1n);
    expect(ranges[2][1]).toBe(MAX_HASH_KEY);
    expect(d.shards.every((s: any) => s.open)).toBe(true);
  });

  it('describes for people: an aligned table on a terminal, tab-separated otherwise', async () => {
    const name = uniqueName('cli-streams');
    expect((await cli(['streams', 'create', name, '--shards', '1', '--wait'])).code).toBe(0);
    const tty = await cli(['streams', 'describe', name], { stdoutTTY: true });
    expect(tty.lines).toEqual(
      expect.arrayContaining([`stream      ${name}`, 'status      ACTIVE', 'shards      1 open, 0 closed']),
    );
    expect(tty.stdout).toContain(`shardId-000000000000  open   -        0                  ${MAX_HASH_KEY}`);
    const piped = await cli(['streams', 'describe', name]);
    expect(piped.lines).toEqual(
      expect.arrayContaining([`stream\t${name}`, `shardId-000000000000\topen\t-\t0\t${MAX_HASH_KEY}`]),
    );
  });

  it('creates an on-demand stream where the endpoint supports it (kinesis-local)', async () => {
    const name = uniqueName('cli-on-demand');
    const created = await cli(['--json', 'streams', 'create', name, '--on-demand', '--wait'], {
      emulator: 'kinesis-local',
    });
    expect(created.code).toBe(0);
    const described = await cli(['--json', 'streams', 'describe', name], { emulator: 'kinesis-local' });
    expect(JSON.parse(described.stdout)).toMatchObject({
      mode: 'ON_DEMAND',
      status: 'ACTIVE',
      consumers: [],
    });
  });

  it('an operational failure is exit code 1 with one line on stderr', async () => {
    const name = uniqueName('cli-missing');
    const result = await cli(['streams', 'describe', name]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^nestjs-kinesis-transport: ResourceNotFoundException: .+\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });

  it('a usage error is exit code 2, and nothing is created', async () => {
    const name = uniqueName('cli-usage');
    const both = await cli(['streams', 'create', name, '--shards', '2', '--on-demand']);
    expect(both).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'error: give --shards or --on-demand, not both\n',
    });
    expect((await cli(['streams', 'create', name, '--shards', '0'])).code).toBe(2);
    expect((await cli(['streams', 'nonsense'])).code).toBe(2);
    expect((await cli(['no-such-command'])).code).toBe(2);
    expect((await cli(['streams', 'describe', name])).code).toBe(1); // was never created
    expect(await cli(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Usage: nestjs-kinesis-transport'),
    });
  });

  it('shows progress on stderr only when stderr is a terminal', async () => {
    const piped = await cli(['streams', 'create', uniqueName('cli-progress'), '--shards', '1', '--wait']);
    expect(piped).toMatchObject({ code: 0, stderr: '' });
    const tty = await cli(['streams', 'create', uniqueName('cli-progress'), '--shards', '1', '--wait'], {
      stderrTTY: true,
    });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('waiting for stream');
    expect(tty.stdout).not.toContain('waiting');
  });
});
