/**
 * The client's request timeout measures inactivity, not duration: an enhanced fan-out subscription (HTTP/1.1
 * against kinesis-local, whose events come about once a second) outlives a request timeout several times over.
 * (Measured: events 1,000 ms apart, at most 1,019 ms; with a 600 ms timeout the subscription is cut before its
 * first event, again and again: the timeout must stay well above the interval between events.)
 */
import { createKinesisClient } from '../client.js';
import { silentLogger } from '../logger.js';
import { ensureStream } from '../stream-admin.js';
import { eventually, kinesisEndpoint, uniqueName } from '../../../../test/support/harness.js';
import { putRaw } from '../../../../test/support/kinesis-helpers.js';
import { Recorder } from '../../../../test/support/recording-processor.js';
import { Consumer } from './consumer.js';

describe('enhanced fan-out under the client request timeout (kinesis-local)', () => {
  it('keeps one subscription open for longer than the request timeout while events flow', async () => {
    const requestTimeoutMs = 1_500;
    const client = createKinesisClient({
      endpoint: kinesisEndpoint('kinesis-local'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestTimeoutMs,
    });
    let subscriptions = 0;
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'SubscribeToShardCommand') subscriptions++;
        return next(args);
      },
      { step: 'initialize' },
    );
    const streamName = uniqueName('fanout-timeout');
    await ensureStream(client, streamName, { shardCount: 1 });
    const recorder = new Recorder();
    const eventsAt: number[] = [];
    const errors: unknown[] = [];
    const consumer = new Consumer({
      client,
      streamName,
      fanOut: { consumerName: 'timeout-app' },
      callProcessRecordsEvenForEmptyRecordList: true, // one processRecords per event: its arrival time
      processorFactory: (shardId) => {
        const recording = recorder.factory({ checkpointEachBatch: false })(shardId);
        return {
          ...recording,
          processRecords: (input) => {
            eventsAt.push(Date.now());
            return recording.processRecords(input);
          },
        };
      },
      logger: silentLogger,
    });
    consumer.on('error', (e) => errors.push(e));
    try {
      await consumer.start();
      await putRaw(client, streamName, [{ data: 'first', key: 'k' }]);
      await eventually(() => recorder.datas().includes('first'), { message: 'first' });
      const firstAt = Date.now();
      // Three request timeouts later, the same subscription still delivers.
      await eventually(() => Date.now() - firstAt > 3 * requestTimeoutMs, { intervalMs: 200 });
      await putRaw(client, streamName, [{ data: 'second', key: 'k' }]);
      await eventually(() => recorder.datas().includes('second'), { message: 'second' });
      expect(subscriptions).toBe(1);
      expect(errors).toEqual([]);
      expect(eventsAt.length).toBeGreaterThan(3); // events kept coming on the one subscription
    } finally {
      await consumer.stop();
      client.destroy();
    }
  }, 60_000);
});
