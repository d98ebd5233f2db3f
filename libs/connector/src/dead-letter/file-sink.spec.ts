import { mkdtempSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { jest } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeadLetterEntry } from '../interfaces.js';
import { FileDeadLetterSink } from './file-sink.js';

const entry = (shard: number, n: number, bytes: number): DeadLetterEntry => ({
  streamName: 'orders',
  shardId: `shardId-${String(shard).padStart(12, '0')}`,
  sequenceNumber: String(1000 + n),
  subSequenceNumber: 0,
  partitionKey: `k${n}`,
  data: Buffer.alloc(bytes, n % 256).toString('base64'),
  stage: 'transform',
  error: 'record is not JSON',
  at: new Date(0).toISOString(),
});

describe('FileDeadLetterSink', () => {
  it('keeps every entry one whole line under concurrent writers, 900 KB entries included', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dlq-file-')), 'nested', 'dead.jsonl');
    // Two sinks on the same file (as two connectors in one process would be), four shards each writing.
    const sinks = [new FileDeadLetterSink(path), new FileDeadLetterSink(path)];
    const writes: Promise<void>[] = [];
    const expected = new Map<string, number>();
    for (let n = 0; n < 3_012; n++) {
      const shard = n % 4;
      const large = n % 251 === 0; // 12 of them
      const e = entry(shard, n, large ? 900_000 : 40);
      expected.set(`${e.shardId}/${e.sequenceNumber}`, e.data.length);
      writes.push(sinks[n % 2].write([e]));
    }
    await Promise.all(writes);

    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe(''); // the file ends with a newline
    const unparseable = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(unparseable.length).toBe(0); // the count only: a cut line is megabytes
    const parsed = lines.map((l) => JSON.parse(l) as DeadLetterEntry);
    expect(parsed).toHaveLength(3_012);
    expect(new Map(parsed.map((e) => [`${e.shardId}/${e.sequenceNumber}`, e.data.length]))).toEqual(expected);
    expect(parsed.filter((e) => e.data.length === 1_200_000)).toHaveLength(12);
  }, 60_000);

  it('keeps the entries of one write together and in order', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dlq-file-')), 'dead.jsonl');
    const sink = new FileDeadLetterSink(path);
    const batch = (shard: number) => Array.from({ length: 50 }, (_, n) => entry(shard, n, 600_000 / 50));
    await Promise.all([sink.write(batch(1)), sink.write(batch(2)), sink.write([])]);
    const shards = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as DeadLetterEntry).shardId.slice(-1));
    expect(shards.join('')).toBe('1'.repeat(50) + '2'.repeat(50));
  });
  it('syncs each batch to disk before its write resolves (the checkpoint moves next)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'dlq-file-')), 'dead.jsonl');
    // FileHandle is not exported: its prototype is reached through a handle.
    const probe = await open(path, 'a');
    const handles = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const calls: string[] = [];
    const { datasync } = handles;
    const syncSpy = jest.spyOn(handles, 'datasync').mockImplementation(function (this: FileHandle) {
      calls.push(`datasync ${readFileSync(path, 'utf8').split('\n').length - 1}`);
      return datasync.call(this);
    });
    try {
      const sink = new FileDeadLetterSink(path);
      await sink.write([entry(1, 1, 10), entry(1, 2, 10)]);
      calls.push('resolved');
      await sink.write([entry(1, 3, 10)]);
    } finally {
      syncSpy.mockRestore();
    }
    // One sync per batch, after its lines are written, before the write resolves.
    expect(calls).toEqual(['datasync 2', 'resolved', 'datasync 3']);
  });
});
