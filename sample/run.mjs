/**
 * The whole sample in one process: kinesalite (unless KINESIS_ENDPOINT is set), a Seneca listener serving
 * `role:math,cmd:sum`, and a Seneca client calling it; prints the answers and exits 0 when all came back.
 * `npm run build && node sample/run.mjs`
 */
import { act, addSum, close, kinesisEndpoint, ready, senecaOn } from './common.mjs';

const kinesis = await kinesisEndpoint();
console.log(`Kinesis at ${kinesis.endpoint}${kinesis.embedded ? ' (embedded kinesalite)' : ''}`);

const listener = senecaOn(kinesis.endpoint);
addSum(listener).listen({ type: 'kinesis' });
await ready(listener);
const client = senecaOn(kinesis.endpoint).client({ type: 'kinesis' });
await ready(client);

let failed = false;
try {
  // Concurrent calls: each answer reaches its own caller.
  const pairs = [
    [1, 2],
    [20, 22],
    [100, -1],
    [7, 35],
  ];
  const answers = await Promise.all(
    pairs.map(([left, right]) => act(client, { role: 'math', cmd: 'sum', left, right })),
  );
  pairs.forEach(([left, right], i) => {
    console.log(`${left} + ${right} = ${answers[i].answer}`);
    if (answers[i].answer !== left + right) failed = true;
  });
} catch (error) {
  failed = true;
  console.error(`call failed: ${error.code ?? ''} ${error.message}`);
} finally {
  await close(client);
  await close(listener);
  await kinesis.stop();
}
process.exitCode = failed ? 1 : 0;
