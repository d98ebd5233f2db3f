/** Registering an enhanced fan-out consumer, against kinesis-local (kinesalite has no stream consumers). */
import { ListStreamConsumersCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream } from '../stream-admin.js';
import { ensureStreamConsumer } from './fan-out.js';
import { injectFaults } from '../../../../test/support/faults.js';
import { kinesisClient, uniqueName } from '../../../../test/support/harness.js';

describe('ensureStreamConsumer on kinesis-local', () => {
  let client: KinesisClient;
  beforeEach(() => {
    client = kinesisClient('kinesis-local');
  });
  afterEach(() => client.destroy());

  it('ensureStreamConsumer registers once: again, and concurrently, it returns the same ACTIVE consumer', async () => {
    const faults = injectFaults(client, {});
    const streamName = uniqueName('fanout');
    await ensureStream(client, streamName, { shardCount: 1 });
    const first = await ensureStreamConsumer(client, streamName, 'app', { pollMs: 100 });
    const again = await Promise.all([1, 2].map(() => ensureStreamConsumer(client, streamName, 'app')));
    expect(first.registered).toBe(true);
    expect(again.map((c) => [c.consumerArn, c.registered])).toEqual([
      [first.consumerArn, false],
      [first.consumerArn, false],
    ]);
    expect(faults.calls.get('RegisterStreamConsumer')).toBe(1);

    // Two workers starting at once: one registers, the other waits for that consumer.
    const raced = await Promise.all([1, 2].map(() => ensureStreamConsumer(client, streamName, 'race')));
    expect(raced[0].consumerArn).toBe(raced[1].consumerArn);
    expect(raced.filter((c) => c.registered)).toHaveLength(1);
    const { Consumers } = await client.send(new ListStreamConsumersCommand({ StreamARN: first.streamArn }));
    expect(Consumers!.map((c) => [c.ConsumerName, c.ConsumerStatus]).sort()).toEqual([
      ['app', 'ACTIVE'],
      ['race', 'ACTIVE'],
    ]);
  });
});
