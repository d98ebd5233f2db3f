/**
 * The public API as reviewed: every entry's exported names and kinds are the committed api/public-api.md (a change
 * to what users can import shows in review), the root stays small, and no name is one of the AWS SDK's.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as awsKinesis from '@aws-sdk/client-kinesis';

const root = resolve(import.meta.dirname, '../..');

interface ApiName {
  name: string;
  kind: string;
  runtime: boolean;
}

// The report script reads the sources with the TypeScript compiler (one program for every entry).
const { api, report } = JSON.parse(
  execFileSync(process.execPath, [join(root, 'scripts/api-report.mjs'), '--json'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  }),
) as { api: Record<string, ApiName[]>; report: string };

const runtimeNames = (entry: string) => api[entry]!.filter((n) => n.runtime).map((n) => n.name);

describe('the public API', () => {
  it('is the committed report (on a difference: run npm run api:report and review the diff)', () => {
    const committed = readFileSync(join(root, 'api/public-api.md'), 'utf8').split('\n');
    const current = report.split('\n');
    const added = current.filter((line) => !committed.includes(line)).map((line) => `+ ${line}`);
    const removed = committed.filter((line) => !current.includes(line)).map((line) => `- ${line}`);
    const hint = 'the exports differ from api/public-api.md: run npm run api:report and review the diff';
    expect({ hint, changes: [...removed, ...added] }).toEqual({ hint, changes: [] });
    expect(current).toEqual(committed); // same lines, same order
  });

  it('covers every entry of the exports map', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: object };
    const entries = Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json');
    expect(Object.keys(api)).toEqual(entries);
    for (const entry of entries) expect(api[entry]!.length).toBeGreaterThan(0);
  });

  it('keeps the root entry under 100 runtime names', () => {
    expect(runtimeNames('.').length).toBeLessThan(100);
  });

  it('exports no name of the AWS SDK Kinesis client (no alias needed beside it)', () => {
    const sdk = new Set(Object.keys(awsKinesis));
    expect(sdk.has('KinesisClient')).toBe(true); // the check reads the SDK's names
    const clashes = Object.entries(api).flatMap(([entry, names]) =>
      names.filter(({ name }) => sdk.has(name)).map(({ name }) => `${entry}: ${name}`),
    );
    expect(clashes).toEqual([]);
  });

  it('names at run time exactly what the report calls runtime names', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { import?: { default: string } }>;
    };
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (!target.import) continue;
      const source = join(root, target.import.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
      const loaded = (await import(source)) as object;
      expect({ entry, names: Object.keys(loaded).sort() }).toEqual({
        entry,
        names: runtimeNames(entry).sort(),
      });
    }
  });
});
