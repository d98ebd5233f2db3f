import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from './demo.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the main job (npm start)', () => {
  it('serves orders over Kinesis and drains their events into local S3 files, then stops cleanly', async () => {
    const saved = process.env.KINESIS_ENDPOINT;
    delete process.env.KINESIS_ENDPOINT;
    const directory = mkdtempSync(join(tmpdir(), 'demo-s3-'));
    const lines: string[] = [];
    const controller = new AbortController();
    // Three seconds of orders once they start (a slow start, on a loaded machine, would leave no report line).
    const print = (line: string) => {
      lines.push(line);
      if (line.startsWith('placing ')) setTimeout(() => controller.abort(), 3_000);
    };
    try {
      const result = await runDemo({
        signal: controller.signal,
        print,
        ordersPerSecond: 40,
        s3Directory: directory,
      });
      expect(lines[0]).toMatch(/embedded Kinesis endpoint \(kinesalite\) at http:\/\/127\.0\.0\.1:\d+/);
      expect(
        lines.some((l) => /^orders answered \d+ \(p50 \d+ ms\) \| events \d+ \| connector read \d+/.test(l)),
      ).toBe(true);
      expect(result.answered).toBeGreaterThan(20);
      expect(result.emitted).toBe(result.events); // every event reached S3 by the end
      expect(lines.at(-1)).toBe(`done: ${result.events} events written to S3 (0 dead-lettered)`);
      // s3rver keeps objects as files: every event is in one of them.
      const stored = filesUnder(directory)
        .filter((f) => f.includes('orders') && f.endsWith('._S3rver_object'))
        .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n'));
      expect(stored.filter((l) => l.includes('"order-'))).toHaveLength(result.events);
    } finally {
      process.env.KINESIS_ENDPOINT = saved;
    }
  }, 60_000);
});
