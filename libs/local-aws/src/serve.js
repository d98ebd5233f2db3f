#!/usr/bin/env node
/**
 * Serves one local endpoint in its own process and prints `{"endpoint": ...}` on stdout once it listens:
 * `node serve.js kinesalite|dynalite|s3rver`. Benchmarks use it so the emulator's CPU is not the measured
 * process's (a real endpoint is never in your process either). Stops on SIGTERM or when stdin closes.
 */
import { startDynalite, startKinesalite, startS3rver } from './index.js';

const starters = { kinesalite: startKinesalite, dynalite: startDynalite, s3rver: startS3rver };
const start = starters[/** @type {keyof typeof starters} */ (process.argv[2])];
if (!start) {
  console.error(`usage: serve.js ${Object.keys(starters).join('|')}`);
  process.exit(2);
}
const service = await start();
const stop = async () => {
  await service.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ endpoint: service.endpoint })}\n`);
