/**
 * A Seneca client calling `role:math,cmd:sum` over Kinesis: `KINESIS_ENDPOINT=http://... node sample/producer.mjs`,
 * with `sample/consumer.mjs` listening on the same endpoint. Without KINESIS_ENDPOINT there is nobody to
 * answer: use `node sample/run.mjs`, which runs both on an embedded kinesalite.
 */
import { act, close, ready, senecaOn } from './common.mjs';

if (!process.env.KINESIS_ENDPOINT) {
  console.error(
    'KINESIS_ENDPOINT is not set: start `node sample/consumer.mjs` and pass the endpoint it prints,',
  );
  console.error('or run both in one process with `node sample/run.mjs`.');
  process.exit(2);
}

const client = senecaOn(process.env.KINESIS_ENDPOINT).client({ type: 'kinesis' });
await ready(client);

let failed = false;
for (const [left, right] of [
  [1, 2],
  [20, 22],
  [100, -1],
]) {
  try {
    const { answer } = await act(client, { role: 'math', cmd: 'sum', left, right });
    console.log(`${left} + ${right} = ${answer}`);
  } catch (error) {
    failed = true;
    console.error(`${left} + ${right} failed: ${error.code ?? ''} ${error.message}`);
  }
}
await close(client);
process.exitCode = failed ? 1 : 0;
