#!/usr/bin/env node
/** The `nestjs-kinesis-transport` command (package.json `bin`): see libs/cli/README.md. */
import { run } from '../../libs/cli/src/run.js';
import { quietSdkNodeWarning, stopOnClosedPipe } from '../../libs/cli/src/shared/process.js';

// Before the first AWS client is made (clients are made when a command first needs one).
quietSdkNodeWarning(process.env);
// Output piped into a reader that quit (`| head`): nothing more to say.
stopOnClosedPipe(process.stdout, () => process.exit(0));

const controller = new AbortController();
// Ctrl-C stops a command that follows a stream (tail --follow) cleanly; a second one ends the process.
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`nestjs-kinesis-transport: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
