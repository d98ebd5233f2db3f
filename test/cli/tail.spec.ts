/**
 * `tail` on kinesalite: native requests and events, a Seneca act, a KPL aggregate (split into its user
 * records), bytes that are none of these, and records written to attack the terminal that shows them.
 */
import { ensureStream, aggregate, KPL_MAGIC } from '../../libs/kinesis/src/index.js';
import { encodeSenecaAct } from '../../libs/seneca/src/wire/index.js';
import { encodeEnvelope } from '../../libs/transport/src/native/envelope.js';
import { kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { cli, ndjson } from './cli-harness.js';

// ESC, BEL and the one-byte CSI: what would start a terminal escape sequence or ring the bell.
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROLS = /[\u001b\u0007\u009b]/;

describe('cli: tail', () => {
  const kinesis = kinesisClient('kinesalite');
  const stream = uniqueName('cli-tail');
  const request = {
    v: 1,
    id: 'req-1',
    pattern: 'order.get',
    data: { orderId: 7 },
    replyTo: { stream: 'res', hashKey: '1' },
  };
  const senecaAct = encodeSenecaAct({
    id: 'abc123abc123/def456def456',
    origin: 'caller-1',
    track: ['caller-1'],
    act: { role: 'math', cmd: 'sum', left: 1, right: 2 },
    sync: true,
    pat: 'cmd:sum,role:math',
  });
  const kpl = aggregate([
    { data: Buffer.from('{"first":1}'), partitionKey: 'p1' },
    {
      data: encodeEnvelope({ v: 1, id: 'ev-in-kpl', pattern: 'order.created', data: { id: 9 } }),
      partitionKey: 'p2',
    },
  ]);

  beforeAll(async () => {
    await ensureStream(kinesis, stream, { shardCount: 1 });
    await putRaw(kinesis, stream, [
      { data: encodeEnvelope(request), key: 'k' },
      { data: senecaAct, key: 'k' },
      { data: kpl, key: 'k' },
      { data: Buffer.from([0xff, 0xfe, 0x00, 0x01]), key: 'k' },
      { data: Buffer.concat([KPL_MAGIC, Buffer.from('not a protobuf, no md5')]), key: 'k' },
      { data: 'plain words', key: 'k' },
    ]);
  });
  afterAll(() => kinesis.destroy());

  it('decodes each record: native request, Seneca act, the aggregate as two user records, bytes, text', async () => {
    const result = await cli(['tail', stream]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const fields = result.lines.map((line) => line.split('  '));
    expect(fields.map((f) => [f[3], f[4], f[5]])).toEqual([
      ['request', 'order.get', 'req-1'],
      ['seneca-act', 'cmd:sum,role:math', 'abc123abc123/def456def456'],
      ['json', '-', '-'],
      ['event', 'order.created', 'ev-in-kpl'],
      ['binary', '-', '-'],
      ['binary', '-', '-'], // magic bytes but no valid aggregate: delivered whole, as the KCL does
      ['text', '-', '-'],
    ]);
    expect(fields.every((f) => f[0] === 'shardId-000000000000')).toBe(true);
    expect(fields[2][1]).toMatch(/^\d+\/0$/); // sub-records show their sub-sequence number
    expect(fields[3][1]).toMatch(/^\d+\/1$/);
    expect(fields[0][6]).toBe('{"orderId":7}');
    expect(fields[1][6]).toBe('{"role":"math","cmd":"sum","left":1,"right":2}');
    expect(fields[4][6]).toBe('//4AAQ=='); // base64
    expect(fields[6][6]).toBe('plain words');
  });

  it('--json prints one object per record (NDJSON)', async () => {
    const result = await cli(['--json', 'tail', stream, '--limit', '4']);
    expect(result.code).toBe(0);
    const records = ndjson(result);
    expect(records).toHaveLength(4);
    expect(records[0]).toMatchObject({
      shardId: 'shardId-000000000000',
      aggregated: false,
      partitionKey: 'k',
      kind: 'request',
      pattern: 'order.get',
      id: 'req-1',
      data: { orderId: 7 },
    });
    expect(records[1]).toMatchObject({
      kind: 'seneca-act',
      data: { role: 'math', cmd: 'sum', left: 1, right: 2 },
    });
    expect(records[2]).toMatchObject({
      kind: 'json',
      aggregated: true,
      subSequenceNumber: 0,
      partitionKey: 'p1',
      data: { first: 1 },
    });
    expect(records[3]).toMatchObject({
      kind: 'event',
      aggregated: true,
      subSequenceNumber: 1,
      partitionKey: 'p2',
      id: 'ev-in-kpl',
    });
    expect(records[2].sequenceNumber).toBe(records[3].sequenceNumber);
    expect(new Date(records[0].arrival).getTime()).toBeGreaterThan(0);
  });

  it('--from latest prints nothing written before; at-timestamp reads from a time, which it needs (usage error)', async () => {
    expect(await cli(['tail', stream, '--from', 'latest'])).toMatchObject({ code: 0, stdout: '' });
    expect((await cli(['tail', stream, '--from', 'at-timestamp'])).code).toBe(2);
    expect((await cli(['tail', stream, '--from', 'yesterday'])).code).toBe(2);
    const since = await cli([
      'tail',
      stream,
      '--from',
      'at-timestamp',
      '--timestamp',
      '2000-01-01T00:00:00Z',
    ]);
    expect(since).toMatchObject({
      code: 0,
      lines: expect.arrayContaining([expect.stringContaining('plain words')]),
    });
    expect(since.lines).toHaveLength(7);
  });

  it('--follow waits for new records until --limit, or until stopped', async () => {
    const quiet = uniqueName('cli-tail-follow');
    await ensureStream(kinesis, quiet, { shardCount: 2 });
    const following = cli(['tail', quiet, '--follow', '--limit', '3']);
    // Written after tail had time to read both shards to their empty tips (a tail that stops there prints none).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await putRaw(
      kinesis,
      quiet,
      [1, 2, 3, 4].map((i) => ({ data: `later-${i}`, key: `k${i}` })),
    );
    const result = await following;
    expect(result.code).toBe(0);
    expect(result.lines).toHaveLength(3);
    expect(result.lines.every((line) => /later-\d$/.test(line))).toBe(true);

    const stop = new AbortController();
    const stopped = cli(['tail', quiet, '--follow', '--from', 'latest'], { signal: stop.signal });
    stop.abort();
    expect(await stopped).toMatchObject({ code: 0, stdout: '' });
  });

  describe('hostile records', () => {
    const hostile = uniqueName('cli-tail-hostile');
    const attack = '\u001b[2J\u001b]0;owned\u0007\u009b31mred';

    beforeAll(async () => {
      await ensureStream(kinesis, hostile, { shardCount: 1 });
      await putRaw(kinesis, hostile, [
        { data: attack, key: 'k' },
        {
          data: encodeEnvelope({ v: 1, id: 'ev-1', pattern: `order${attack}`, data: { note: attack } }),
          key: 'k',
        },
        { data: JSON.stringify({ v: 1, id: 'bad id with spaces', pattern: 'p', data: attack }), key: 'k' },
        { data: JSON.stringify({ kind: 'act', id: null, act: { note: attack } }), key: 'k' },
        { data: Buffer.alloc(200_000, 'x'), key: 'k' },
        { data: '['.repeat(100_000), key: 'k' },
      ]);
    });

    it('neutralises terminal escape sequences, in text and in JSON', async () => {
      const lines = await cli(['tail', hostile]);
      expect(lines.code).toBe(0);
      expect(lines.lines).toHaveLength(6);
      expect(lines.stdout).not.toMatch(TERMINAL_CONTROLS);
      expect(lines.lines[0]).toContain('?[2J?]0;owned??31mred');

      const json = await cli(['--json', 'tail', hostile]);
      expect(json.code).toBe(0);
      expect(json.stdout).not.toMatch(TERMINAL_CONTROLS);
      const records = ndjson(json);
      expect(records[0]).toMatchObject({ kind: 'text', data: attack }); // the same value, escaped as JSON
      expect(records[1]).toMatchObject({ kind: 'event', pattern: `order${attack}`, data: { note: attack } });
    });

    it('names invalid envelopes without failing, and bounds every record', async () => {
      const result = await cli(['--json', 'tail', hostile]);
      const records = ndjson(result);
      expect(records[2]).toMatchObject({
        kind: 'invalid-envelope',
        problem: expect.stringContaining('invalid id'),
      });
      expect(records[3]).toMatchObject({ kind: 'invalid-seneca', problem: 'id is null' });
      expect(records[4]).toMatchObject({ kind: 'text', bytes: 200_000, dataTruncated: true });
      expect(records[5]).toMatchObject({ kind: 'text', dataTruncated: true }); // nested too deep to be JSON
      expect(Math.max(...result.lines.map((l) => l.length))).toBeLessThan(5_000);

      const lines = await cli(['tail', hostile, '--max-data', '50']);
      expect(Math.max(...lines.lines.map((l) => l.length))).toBeLessThan(400);
      expect(lines.lines[4]).toContain('...(200000 chars)');
    });

    it('bounds the fields besides data too: a reply id and a KPL partition key of 300 000 characters', async () => {
      const huge = uniqueName('cli-tail-huge-fields');
      await ensureStream(kinesis, huge, { shardCount: 1 });
      const key = `\u001b[31m${'k'.repeat(300_000)}`;
      await putRaw(kinesis, huge, [
        { data: JSON.stringify({ v: 1, id: 'r'.repeat(300_000), response: 1 }), key: 'k' },
        { data: aggregate([{ data: Buffer.from('x'), partitionKey: key }]), key: 'k' },
      ]);
      const result = await cli(['--json', 'tail', huge]);
      const [reply, sub] = ndjson(result);
      expect(reply).toMatchObject({ kind: 'reply', id: expect.stringMatching(/^r+\.\.\.\(300000 chars\)$/) });
      expect(sub).toMatchObject({
        aggregated: true,
        partitionKey: expect.stringContaining('...(300005 chars)'),
      });
      expect(Math.max(...result.lines.map((l) => l.length))).toBeLessThan(5_000);
      expect(result.stdout).not.toMatch(TERMINAL_CONTROLS);
    });

    it('stops at --limit inside aggregates of many user records', async () => {
      const many = uniqueName('cli-tail-many');
      await ensureStream(kinesis, many, { shardCount: 1 });
      const big = aggregate(
        Array.from({ length: 50_000 }, (_, i) => ({ data: Buffer.from(`u${i}`), partitionKey: 'p' })),
      );
      await putRaw(
        kinesis,
        many,
        [1, 2, 3].map(() => ({ data: big, key: 'k' })),
      );
      const result = await cli(['--json', 'tail', many, '--limit', '3']);
      expect(result.code).toBe(0);
      expect(ndjson(result).map((r) => [r.subSequenceNumber, r.data])).toEqual([
        [0, 'u0'],
        [1, 'u1'],
        [2, 'u2'],
      ]);
    });
  });
});
