/** `npm run bench`: every benchmark of the project, each against local endpoints started here. */
import { createKinesisClient } from '../libs/kinesis/src/index.js';
import { startKinesalite } from '../libs/local-aws/src/index.js';
import { benchConnector } from './connector.js';
import { benchCore } from './core.js';
import { benchTransport } from './transport.js';

process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const kinesalite = await startKinesalite();
const client = createKinesisClient({ endpoint: kinesalite.endpoint, region: 'us-east-1' });
try {
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  await benchCore(client);
  await benchTransport(client, kinesalite.endpoint);
} finally {
  client.destroy();
  await kinesalite.stop();
}
await benchConnector();
