import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../logger.js';
import type { RecordProcessor, RecordProcessorFactory } from '../types.js';
import { kclRecordProcessor, processorFromFactory, type KclAdapterOptions } from './adapter.js';
import { KclNotInstalledError } from './errors.js';

export interface RunKclOptions extends KclAdapterOptions {
  /** Where the daemon's actions come from. Default: stdin (the daemon's pipe). */
  input?: Readable;
  /** Where answers go. Default: stdout, the protocol channel: nothing else may write to it. */
  output?: Writable;
  /** aws-kcl's own errors and, unless `logger` is given, ours. Default: stderr (the daemon logs it). */
  error?: Writable;
}

export interface KclRun {
  /** Resolves when the daemon closes the input: this shard's processing is over. */
  readonly closed: Promise<void>;
  /** Stops reading actions (the daemon normally ends a child by closing its input). */
  stop(): void;
}

/**
 * Runs a RecordProcessor (or a factory, given the shard at initialize) as a MultiLangDaemon child process:
 * the daemon's `executableName` starts a Node script that calls this. aws-kcl is loaded only here, so the core
 * works without the optional dependency.
 */
export async function runKcl(
  processorOrFactory: RecordProcessor | RecordProcessorFactory,
  options: RunKclOptions = {},
): Promise<KclRun> {
  const kcl = await loadAwsKcl();
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const error = options.error ?? process.stderr;
  const processor =
    typeof processorOrFactory === 'function' ? processorFromFactory(processorOrFactory) : processorOrFactory;
  const adapter = kclRecordProcessor(processor, {
    ...options,
    logger: options.logger ?? streamLogger(error),
  });
  const closed = new Promise<void>((resolve) => {
    input.once('end', resolve);
    input.once('close', resolve);
  });
  const child = kcl(adapter, input, output, error);
  child.run();
  return { closed, stop: () => child.cleanup() };
}

async function loadAwsKcl() {
  try {
    return (await import('aws-kcl')).default;
  } catch (error) {
    throw new KclNotInstalledError(error);
  }
}

/** One line per entry on the error stream: the daemon copies its children's stderr into its log. */
function streamLogger(stream: Writable): Logger {
  const write = (level: string) => (message: string, context?: Record<string, unknown>) =>
    void stream.write(`[kinesis] ${level} ${message}${context ? ` ${JSON.stringify(context)}` : ''}\n`);
  return { debug: () => undefined, info: write('info'), warn: write('warn'), error: write('error') };
}
