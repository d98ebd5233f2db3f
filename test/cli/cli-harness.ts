/** Runs the command line in-process against the harness's local services and collects what it writes. */
import { run } from '../../libs/cli/src/run.js';
import { kinesisEndpoint, type KinesisEmulator } from '../support/harness.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout's lines without the final empty one. */
  lines: string[];
}

export interface CliRunOptions {
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
  emulator?: KinesisEmulator;
  /** Stops a command that follows a stream (Ctrl-C in the real bin). */
  signal?: AbortSignal;
}

/** `argv` with the endpoints of the local services in front (Kinesis and DynamoDB). */
export async function cli(argv: string[], o: CliRunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const endpoints = [
    '--endpoint',
    kinesisEndpoint(o.emulator ?? 'kinesalite'),
    '--dynamodb-endpoint',
    process.env.DYNALITE_ENDPOINT!,
  ];
  const code = await run([...endpoints, ...argv], {
    stdout: { write: (s: string) => (stdout += s), isTTY: o.stdoutTTY ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: o.stderrTTY ?? false },
    signal: o.signal,
  });
  return { code, stdout, stderr, lines: stdout.split('\n').slice(0, -1) };
}

/** The NDJSON lines of a `--json` run, parsed. */
export const ndjson = (result: CliResult): Array<Record<string, any>> =>
  result.lines.map((line) => JSON.parse(line) as Record<string, any>);
