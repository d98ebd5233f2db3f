/** `redrive`: a dry run lists what would go back and puts nothing; a real one puts the events back, as received. */
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { encodeEnvelope } from '../../libs/transport/src/native/envelope.js';
import { encodeDeadLetter } from '../../libs/transport/src/shared/dead-letters.js';
import { kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { cli, ndjson } from './cli-harness.js';

describe('cli: redrive', () => {
  const kinesis = kinesisClient('kinesalite');
  const actStream = uniqueName('cli-act');
  const deadLetters = uniqueName('cli-dlq');
  const event = (id: string) => encodeEnvelope({ v: 1, id, pattern: 'order.created', data: { id } });
  const entry = (id: string, stream = actStream) =>
    encodeDeadLetter({
      stream,
      shardId: 'shardId-000000000000',
      sequenceNumber: '1',
      partitionKey: id,
      id,
      pattern: 'order.created',
      attempts: 3,
      error: 'handler failed',
      at: '2026-01-01T00:00:00.000Z',
      data: event(id).toString('base64'),
    });
  const args = ['redrive', '--dead-letter-stream', deadLetters, '--act-stream', actStream];
  const actRecords = async () => ndjson(await cli(['--json', 'tail', actStream]));

  beforeAll(async () => {
    await ensureStream(kinesis, actStream, { shardCount: 1 });
    await ensureStream(kinesis, deadLetters, { shardCount: 1 });
    await putRaw(kinesis, deadLetters, [
      { data: entry('ev-1'), key: 'a' },
      { data: entry('ev-other', 'another-act-stream'), key: 'b' },
      { data: 'not a dead-letter entry', key: 'c' },
      { data: entry('ev-2'), key: 'd' },
    ]);
  });
  afterAll(() => kinesis.destroy());

  it('tail shows dead-letter entries without their payload', async () => {
    const records = ndjson(await cli(['--json', 'tail', deadLetters]));
    expect(records.map((r) => [r.kind, r.pattern, r.id])).toEqual([
      ['dead-letter', 'order.created', 'ev-1'],
      ['dead-letter', 'order.created', 'ev-other'],
      ['text', undefined, undefined],
      ['dead-letter', 'order.created', 'ev-2'],
    ]);
    expect(records[0].data).toMatchObject({ stream: actStream, attempts: 3, error: 'handler failed' });
    expect(records[0].data.data).toBeUndefined();
  });

  it('--dry-run lists the entries that would go back and puts nothing', async () => {
    const result = await cli(['--json', ...args, '--dry-run']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ dryRun: true, wouldRedrive: 2, refused: 2 });
    expect(report.entries.map((e: any) => [e.id, e.pattern, e.attempts])).toEqual([
      ['ev-1', 'order.created', 3],
      ['ev-2', 'order.created', 3],
    ]);
    expect(report.entries[0].data).toBeUndefined(); // the payload is not printed
    expect(await actRecords()).toEqual([]);

    const table = await cli([...args, '--dry-run', '--limit', '1']);
    expect(table.lines.at(-1)).toBe(`dry run: 1 entries would go back to ${actStream}; 2 refused`);
    expect((await cli(['--json', ...args, '--dry-run', '--pattern', 'other'])).stdout).toContain(
      '"wouldRedrive": 0',
    );
  });

  it('puts the events back on the act stream, as they were received', async () => {
    const result = await cli(['--json', ...args]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ redriven: 2, refused: 2, skipped: 0 });
    const records = await actRecords();
    expect(records.map((r) => [r.kind, r.id, r.partitionKey, r.data])).toEqual([
      ['event', 'ev-1', 'ev-1', { id: 'ev-1' }],
      ['event', 'ev-2', 'ev-2', { id: 'ev-2' }],
    ]);
  });

  it('a run prints where it stopped; the next goes on from there with --after (nothing put back twice)', async () => {
    const [act, dlq] = [uniqueName('cli-act'), uniqueName('cli-dlq')];
    await ensureStream(kinesis, act, { shardCount: 1 });
    await ensureStream(kinesis, dlq, { shardCount: 1 });
    await putRaw(kinesis, dlq, [
      { data: entry('ev-a', act), key: 'a' },
      { data: entry('ev-b', act), key: 'b' },
    ]);
    const run = ['redrive', '--dead-letter-stream', dlq, '--act-stream', act];
    const first = await cli([...run, '--limit', '1']);
    expect(first.lines[0]).toBe(`redriven 1 events to ${act}; 0 refused, 0 skipped`);
    const after = /^the next run goes on with --after (shardId-000000000000=\d+)$/.exec(first.lines[1])?.[1];
    expect(after).toBeDefined();
    const second = await cli(['--json', ...run, '--after', after!]);
    expect(JSON.parse(second.stdout)).toMatchObject({ redriven: 1, refused: 0 });
    expect(ndjson(await cli(['--json', 'tail', act])).map((r) => r.id)).toEqual(['ev-a', 'ev-b']);
    expect((await cli([...run, '--after', 'shardId-000000000000'])).code).toBe(2);
  });

  it('refuses a bad --limit and a signing variable that is not set (exit code 2)', async () => {
    expect((await cli([...args, '--limit', '0'])).code).toBe(2);
    expect((await cli([...args, '--limit', '10001'])).code).toBe(2);
    const unset = await cli([...args, '--signing-key-env', 'CLI_TEST_UNSET_SIGNING_KEY']);
    expect(unset).toMatchObject({
      code: 2,
      stderr: 'error: environment variable CLI_TEST_UNSET_SIGNING_KEY is not set\n',
    });
    expect((await cli(['redrive', '--act-stream', actStream])).code).toBe(2);
  });
});
