/**
 * `npm run bench`: every benchmark of the project, each against local endpoints started here.
 * `npm run bench -- transport connector` runs only the named sections (core, transport, connector, scale-out).
 */
import { createKinesisClient } from '../libs/kinesis/src/index.js';
import { startInChildProcess, startKinesalite } from '../libs/local-aws/src/index.js';
import { benchConnector } from './connector.js';
import { benchCore } from './core.js';
import { benchScaleOut } from './scale-out.js';
import { benchTransport } from './transport.js';

process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const sections = ['core', 'transport', 'connector', 'scale-out'];
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !sections.includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench section(s): ${unknown.join(', ')}; choose from ${sections.join(', ')}`);
  process.exit(2);
}
const runs = (name: string) => chosen.length === 0 || chosen.includes(name);

console.log(`node ${process.version}, ${new Date().toISOString()}`);
if (runs('core')) {
  // In-process kinesalite: the core bench compares modes of one client against the same endpoint.
  const kinesalite = await startKinesalite();
  const client = createKinesisClient({ endpoint: kinesalite.endpoint, region: 'us-east-1' });
  try {
    await benchCore(client);
  } finally {
    client.destroy();
    await kinesalite.stop();
  }
}
if (runs('transport')) {
  // Its own process, as nats-server and Redis are for the transporters it is compared with.
  const kinesalite = await startInChildProcess('kinesalite');
  const client = createKinesisClient({ endpoint: kinesalite.endpoint, region: 'us-east-1' });
  try {
    await benchTransport(client, kinesalite.endpoint);
  } finally {
    client.destroy();
    await kinesalite.stop();
  }
}
if (runs('connector')) await benchConnector();
if (runs('scale-out')) await benchScaleOut();
