/** `npm start`: runs the demo until Ctrl-C (SIGINT) or SIGTERM, then exits cleanly. */
import { runDemo } from './demo.js';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

runDemo({ signal: controller.signal }).then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
