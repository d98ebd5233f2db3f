/**
 * Lease workers as child processes (lease-worker.mjs), for the suites that SIGKILL one. The child imports the
 * Kinesis core transpiled from libs/kinesis/src into a temporary directory, not dist/: dist/ is rebuilt (rm -rf)
 * by anyone's `npm run build` at any time, and may be older than the sources under test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';

const ROOT = process.cwd();
const WORKER_SCRIPT = join(ROOT, 'test/lease/lease-worker.mjs');

/** Transpiles (no type check: tsc does that) the core into a temp dir; answers that dir and a cleanup. */
export function transpileKinesisLib(): { dir: string; remove(): void } {
  const out = mkdtempSync(join(tmpdir(), 'kinesis-lib-'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules')); // the SDK, resolved from the copy
  const remove = () => rmSync(out, { recursive: true, force: true });
  try {
    const src = join(ROOT, 'libs/kinesis/src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts'),
    );
    for (const file of files) {
      const { outputText } = ts.transpileModule(readFileSync(join(src, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: file,
      });
      const target = join(out, file.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { dir: out, remove };
}

export type WorkerLine =
  | { event: 'records'; shardId: string; datas: string[] }
  | { event: 'checkpointed' | 'leaseTaken' | 'leaseLost' | 'leaseHandedOver'; shardId: string }
  | { event: 'started'; workerId: string }
  | { event: 'error'; message: string };

export interface LeaseWorkerEnv {
  /** The directory of the core's JavaScript (what libs/kinesis/src compiles to). */
  KINESIS_LIB: string;
  KINESIS_ENDPOINT: string;
  DYNAMO_ENDPOINT: string;
  STREAM_NAME: string;
  APP_NAME: string;
  WORKER_ID: string;
  FAILOVER_MS: string;
  TAKE_INTERVAL_MS: string;
  MAX_RECORDS?: string;
  CHECKPOINT_DELAY_MS?: string;
}

/** A running lease-worker.mjs and everything it reported. */
export class LeaseWorkerProcess {
  readonly lines: WorkerLine[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(env: LeaseWorkerEnv) {
    this.child = spawn(process.execPath, [WORKER_SCRIPT], {
      env: { ...process.env, NODE_OPTIONS: '', ...env }, // not jest's --experimental-vm-modules
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    let pending = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const text = pending + chunk.toString();
      const complete = text.split('\n');
      pending = complete.pop()!;
      for (const line of complete) if (line.trim()) this.lines.push(JSON.parse(line));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Every record it reported handled, in order, with its shard. */
  records(): Array<{ shardId: string; data: string }> {
    return this.lines.flatMap((l) =>
      l.event === 'records' ? l.datas.map((data) => ({ shardId: l.shardId, data })) : [],
    );
  }

  /** Per shard: the records it reported after its last stored checkpoint (what a kill leaves uncheckpointed). */
  uncheckpointed(): Map<string, string[]> {
    const open = new Map<string, string[]>();
    for (const line of this.lines) {
      if (line.event === 'records')
        open.set(line.shardId, [...(open.get(line.shardId) ?? []), ...line.datas]);
      if (line.event === 'checkpointed') open.set(line.shardId, []);
    }
    return open;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}
