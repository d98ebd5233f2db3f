#!/usr/bin/env node
/** The `nestjs-kinesis-transport` command (package.json `bin`): see libs/cli/README.md. */
import { run } from '../../libs/cli/src/run.js';

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
