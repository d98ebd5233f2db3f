/**
 * Shared by the samples: where Kinesis is, the plugin options, and promise helpers for Seneca's callbacks.
 * Plain ESM JavaScript on the built library: run `npm run build` first.
 */
import Seneca from 'seneca';
import { createKinesisTransport } from '../dist/libs/seneca/src/index.js';
import { startKinesalite } from '../libs/local-aws/src/index.js';

export const ACT_STREAM = process.env.SAMPLE_ACT_STREAM ?? 'sample-act';
export const RES_STREAM = process.env.SAMPLE_RES_STREAM ?? 'sample-res';

/**
 * KINESIS_ENDPOINT when set; otherwise an embedded kinesalite (development only), stopped by `stop()`.
 * @returns {Promise<{ endpoint: string, embedded: boolean, stop: () => Promise<void> }>}
 */
export async function kinesisEndpoint() {
  if (process.env.KINESIS_ENDPOINT) {
    return { endpoint: process.env.KINESIS_ENDPOINT, embedded: false, stop: async () => {} };
  }
  const kinesalite = await startKinesalite();
  return { endpoint: kinesalite.endpoint, embedded: true, stop: kinesalite.stop };
}

/** A Seneca instance with the Kinesis transport on `endpoint`; streams are created when missing. */
export function senecaOn(endpoint) {
  // Local emulators take any credentials; real AWS uses the SDK's default chain.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  return Seneca({ log: 'silent', timeout: 10_000 }).use(
    createKinesisTransport({
      endpoint,
      actStream: ACT_STREAM,
      resStream: RES_STREAM,
      createStreams: true,
      pollIntervalMs: 50,
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message, context) => console.warn(`[kinesis] ${message}`, context ?? ''),
        error: (message, context) => console.error(`[kinesis] ${message}`, context ?? ''),
      },
    }),
  );
}

export function ready(seneca) {
  return new Promise((resolve, reject) => seneca.ready((error) => (error ? reject(error) : resolve(seneca))));
}

export function act(seneca, msg) {
  return new Promise((resolve, reject) =>
    seneca.act(msg, (error, out) => (error ? reject(error) : resolve(out))),
  );
}

export function close(seneca) {
  return new Promise((resolve) => seneca.close(() => resolve()));
}

/** The listener's action: `role:math,cmd:sum`. */
export function addSum(seneca) {
  return seneca.add('role:math,cmd:sum', function sum(msg, reply) {
    reply(null, { answer: msg.left + msg.right });
  });
}
