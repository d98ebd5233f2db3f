/**
 * `tail` across a reshard on kinesis-local (UpdateShardCount): the children a reshard creates while tail runs
 * are read too, in --follow and to their tips without it; with a closed parent, nothing is lost.
 */
import { UpdateShardCountCommand } from '@aws-sdk/client-kinesis';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { cli, ndjson } from './cli-harness.js';

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

describe('cli: tail across a reshard (kinesis-local)', () => {
  const kinesis = kinesisClient('kinesis-local');
  afterAll(() => kinesis.destroy());

  async function reshard(stream: string): Promise<void> {
    await kinesis.send(
      new UpdateShardCountCommand({
        StreamName: stream,
        TargetShardCount: 2,
        ScalingType: 'UNIFORM_SCALING',
      }),
    );
    await ensureStream(kinesis, stream);
  }

  it('--follow goes on into the children a reshard creates after it started', async () => {
    const stream = uniqueName('cli-tail-reshard');
    await ensureStream(kinesis, stream, { shardCount: 1 });
    await putRaw(kinesis, stream, [{ data: 'before', key: 'k' }]);
    const limit = 1 + KEYS.length;
    const following = cli(['--json', 'tail', stream, '--follow', '--limit', String(limit)], {
      emulator: 'kinesis-local',
    });
    // Let tail list the one shard and read it to its tip first (a tail that lists later would pass anyway).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await reshard(stream);
    await putRaw(
      kinesis,
      stream,
      KEYS.map((key) => ({ data: `after-${key}`, key })),
    );
    const result = await following;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const records = ndjson(result);
    expect(records.map((r) => r.data).sort()).toEqual(['before', ...KEYS.map((k) => `after-${k}`)].sort());
    // The later records are on the two children, not on the closed parent.
    const parent = records.find((r) => r.data === 'before')!.shardId;
    expect(new Set(records.filter((r) => r.shardId !== parent).map((r) => r.shardId)).size).toBe(2);
  }, 30_000);

  it('reads closed parents and their children to their tips from the trim horizon', async () => {
    const stream = uniqueName('cli-tail-resharded');
    await ensureStream(kinesis, stream, { shardCount: 1 });
    await putRaw(kinesis, stream, [{ data: 'before', key: 'k' }]);
    await reshard(stream);
    await putRaw(
      kinesis,
      stream,
      KEYS.map((key) => ({ data: `after-${key}`, key })),
    );
    const result = await cli(['--json', 'tail', stream], { emulator: 'kinesis-local' });
    expect(result.code).toBe(0);
    expect(
      ndjson(result)
        .map((r) => r.data)
        .sort(),
    ).toEqual(['before', ...KEYS.map((k) => `after-${k}`)].sort());
  }, 30_000);
});
