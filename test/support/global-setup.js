/**
 * Starts one set of local services for the whole jest run; workers inherit the endpoints through the
 * environment. A service already given in the environment (e.g. KINESALITE_ENDPOINT) is not started.
 * Plain JavaScript: jest loads global hooks outside its ESM transform.
 */
import {
  startDynalite,
  startKinesalite,
  startKinesisLocal,
  startS3rver,
} from '../../libs/local-aws/src/index.js';

/** @type {Array<[string, () => Promise<import('../../libs/local-aws/src/index.js').LocalService>]>} */
const services = [
  ['KINESALITE_ENDPOINT', () => startKinesalite()],
  ['KINESIS_LOCAL_ENDPOINT', () => startKinesisLocal()],
  ['DYNALITE_ENDPOINT', () => startDynalite()],
  ['S3RVER_ENDPOINT', () => startS3rver()],
];

export default async function globalSetup() {
  const started = await Promise.all(
    services
      .filter(([envName]) => !process.env[envName])
      .map(async ([envName, start]) => {
        const service = await start();
        process.env[envName] = service.endpoint;
        return service;
      }),
  );
  globalThis.__LOCAL_SERVICES__ = started;
  // Fake credentials for the emulators; the SDK's default chain picks these up.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_REGION ??= 'us-east-1';
}
