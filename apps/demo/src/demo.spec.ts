import { runDemo } from './demo.js';

describe('demo (npm start)', () => {
  it('runs on an embedded endpoint, shows progress and stops cleanly with every record consumed', async () => {
    const saved = process.env.KINESIS_ENDPOINT;
    delete process.env.KINESIS_ENDPOINT;
    const lines: string[] = [];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 2_500);
    try {
      const result = await runDemo({
        signal: controller.signal,
        print: (l) => lines.push(l),
        recordsPerSecond: 500,
      });
      expect(lines[0]).toMatch(/embedded Kinesis endpoint \(kinesalite\) at http:\/\/127\.0\.0\.1:\d+/);
      expect(lines.some((l) => /^produced \d+ {2}consumed \d+/.test(l))).toBe(true);
      expect(result.produced).toBeGreaterThan(500);
      expect(result.consumed).toBe(result.produced);
    } finally {
      process.env.KINESIS_ENDPOINT = saved;
    }
  });
});
