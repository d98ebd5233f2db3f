/**
 * The command line: `nestjs-kinesis-transport <command>`. `run` parses, runs one command and answers its exit
 * code (0 done, 1 an operation failed: one line on stderr, 2 a usage error); it never calls process.exit, so
 * tests run commands in-process with their own stdout and stderr.
 */
import { Command, CommanderError, Option } from 'commander';
import { types } from 'node:util';
import { errorForLog } from '../../kinesis/src/index.js';
import { registerLag } from './commands/lag.js';
import { registerLeases } from './commands/leases.js';
import { registerRedrive } from './commands/redrive.js';
import { registerStreams } from './commands/streams.js';
import { registerTail } from './commands/tail.js';
import { CliContext, CliUsageError, type ActionOf, type GlobalOptions } from './shared/context.js';
import type { CliIo } from './shared/output.js';

export const CLI_NAME = 'nestjs-kinesis-transport';

export type { CliIo, CliStream } from './shared/output.js';

function program(io: CliIo, action: ActionOf): Command {
  const root = new Command(CLI_NAME)
    .description('Operate Kinesis streams, checkpoints, leases and dead letters of nestjs-kinesis-transport')
    .exitOverride() // inherited by the commands below: errors come back to run() instead of exiting
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .option('--endpoint <url>', 'Kinesis endpoint (default KINESIS_ENDPOINT, else AWS)')
    .option(
      '--dynamodb-endpoint <url>',
      'DynamoDB endpoint for checkpoints and leases (default DYNAMODB_ENDPOINT)',
    )
    .option('--region <region>', 'AWS region (default AWS_KINESIS_REGION, then AWS_REGION, else us-east-1)')
    .addOption(new Option('--json', 'JSON on stdout for scripts (NDJSON for tail)'));
  registerStreams(root, action);
  registerTail(root, action);
  registerLag(root, action);
  registerLeases(root, action);
  registerRedrive(root, action);
  return root;
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let context: CliContext | undefined;
  const action: ActionOf =
    (handler) =>
    async (...args) => {
      const command = args[args.length - 1] as Command;
      context = new CliContext(io, command.optsWithGlobals<GlobalOptions>());
      await handler(context, command);
    };
  try {
    await program(io, action).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    // Commander has written its message (or the help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliUsageError) {
      io.stderr.write(`error: ${errorForLog(error, 500)}\n`);
      return 2;
    }
    io.stderr.write(`${CLI_NAME}: ${oneLine(error)}\n`);
    return 1;
  } finally {
    context?.close();
  }
}

/**
 * An operational error in one line: its name, its message and its cause's (the AWS error under ours). Errors
 * are recognised across realms (isNativeError); other thrown values are named by type only, never serialized (a
 * Node error object holds its `input`, e.g. a URL with a password). Credentials in a URL are masked.
 */
function oneLine(error: unknown): string {
  if (!isError(error)) return `unexpected failure (a thrown ${typeof error})`;
  const cause = isError(error.cause) ? ` (${error.cause.name}: ${error.cause.message})` : '';
  const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
  return withoutUserinfo(errorForLog(`${name}${error.message || '(no message)'}${cause}`, 500));
}

const isError = (value: unknown): value is Error => value instanceof Error || types.isNativeError(value);

/** `scheme://user:password@host` as `scheme://***@host`. */
const withoutUserinfo = (text: string): string =>
  text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
