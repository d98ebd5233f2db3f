/**
 * `npm run build && node dist/apps/example/src/main.js`: the transporter example, against KINESIS_ENDPOINT
 * or, when unset, an embedded Kinesis endpoint (kinesalite). Ctrl-C stops it cleanly.
 */
import { runExample } from './example.js';

// The SDK's notice that its 2027 releases need Node 22 is for the developer, not every run of the example.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

async function main(): Promise<void> {
  let endpoint = process.env.KINESIS_ENDPOINT;
  let embedded: { endpoint: string; stop(): Promise<void> } | undefined;
  if (!endpoint) {
    // Development-only dependency, loaded only when no endpoint is configured.
    const { startKinesalite } = await import('../../../libs/local-aws/src/index.js');
    embedded = await startKinesalite();
    endpoint = embedded.endpoint;
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    console.log(`embedded Kinesis endpoint (kinesalite) at ${endpoint}`);
  }
  try {
    await runExample({
      endpoint,
      actStream: process.env.ORDERS_ACT_STREAM ?? 'orders-act',
      resStream: process.env.ORDERS_RES_STREAM ?? 'orders-res',
      createStreams: { act: 2, res: 2 },
      healthPort: Number(process.env.HEALTH_PORT ?? 0), // GET /health while it runs
      signal: controller.signal,
    });
  } finally {
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
