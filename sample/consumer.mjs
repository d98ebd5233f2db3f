/**
 * A Seneca listener serving `role:math,cmd:sum` over Kinesis until Ctrl-C.
 * `KINESIS_ENDPOINT=http://... node sample/consumer.mjs`; without KINESIS_ENDPOINT it starts kinesalite and
 * prints its endpoint for `sample/producer.mjs`.
 */
import { ACT_STREAM, RES_STREAM, addSum, close, kinesisEndpoint, ready, senecaOn } from './common.mjs';

const kinesis = await kinesisEndpoint();
const listener = senecaOn(kinesis.endpoint);
addSum(listener).listen({ type: 'kinesis' });
await ready(listener);

console.log(
  `listening for role:math,cmd:sum on ${ACT_STREAM} (replies on ${RES_STREAM}) at ${kinesis.endpoint}`,
);
if (kinesis.embedded) console.log(`call it: KINESIS_ENDPOINT=${kinesis.endpoint} node sample/producer.mjs`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await close(listener);
  await kinesis.stop();
  console.log('stopped');
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
