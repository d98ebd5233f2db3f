/** The built companion connector app as a child process, for the suites that signal or kill it. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const CONNECTOR_MAIN = join(process.cwd(), 'dist/apps/connector/src/main.js');

/**
 * The sources the built app runs: its configuration (apps/connector), the connector library with its Nest module
 * (libs/connector) and the core under it (libs/kinesis). A change in any of them makes dist stale.
 */
const CONNECTOR_SOURCES = ['apps/connector/src', 'libs/connector/src', 'libs/kinesis/src'];

/** The non-test .ts files under `dir`, relative to the working directory. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(join(process.cwd(), dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** The sources newer than their built .js (or with none): dist would run older code than they say. */
export function staleConnectorSources(): string[] {
  const mtime = (path: string) =>
    statSync(join(process.cwd(), path), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return CONNECTOR_SOURCES.flatMap(sourcesUnder).filter(
    (file) => mtime(file) > mtime(join('dist', file.replace(/\.ts$/, '.js'))),
  );
}

/** Fails clearly when the app is not built, or built from older sources (it would test yesterday's app). */
export function assertConnectorBuilt(): void {
  if (!existsSync(CONNECTOR_MAIN)) {
    throw new Error(`${CONNECTOR_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  }
  const stale = staleConnectorSources();
  if (stale.length > 0) {
    throw new Error(
      `dist is older than the connector's sources (${listed(stale)}): run \`npm run build\` first`,
    );
  }
}

/** The first few names, and how many more. */
function listed(names: string[], shown = 5): string {
  const more = names.length - shown;
  return names.slice(0, shown).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** Starts the built app with `env` over this process's; the emulators' credentials come through the SDK chain. */
export function spawnConnector(env: Record<string, string | undefined>, stdio: StdioOptions): ChildProcess {
  return spawn(process.execPath, [CONNECTOR_MAIN], {
    env: {
      ...process.env,
      NODE_OPTIONS: '', // not jest's --experimental-vm-modules
      AWS_ACCESS_KEY_ID: 'S3RVER', // s3rver's key pair; the other emulators take any
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      ...env,
    },
    stdio,
  });
}

/** A started app with its stdout + stderr collected (drained, so a chatty app never blocks on a full pipe). */
export interface RunningConnector {
  child: ChildProcess;
  output(): string;
  /** The exit code (null after a signal). */
  exited: Promise<number | null>;
}

export function runConnector(env: Record<string, string | undefined>): RunningConnector {
  const child = spawnConnector(env, ['ignore', 'pipe', 'pipe']);
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** The port of the app's "connector listening on http://host:port" line, once it was printed. */
export function listeningPort(output: string): number | undefined {
  const match = /connector listening on http:\/\/\S+:(\d+)/.exec(output);
  return match ? Number(match[1]) : undefined;
}
