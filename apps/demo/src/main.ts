/** `npm start`: runs the demo until Ctrl-C (SIGINT) or SIGTERM, then exits cleanly. */
import { runDemo } from './demo.js';

// The SDK's notice that its 2027 releases need Node 22 is for the developer, not every run of the demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

runDemo({ signal: controller.signal }).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
