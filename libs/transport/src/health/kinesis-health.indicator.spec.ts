/** KinesisHealthIndicator's details stay bounded, whatever the number of shards a server reads. */
import type { ServerKinesisHealth } from './kinesis-health.js';
import { KinesisHealthIndicator } from './kinesis-health.indicator.js';

describe('KinesisHealthIndicator details', () => {
  it('lists at most 50 problems and 50 shards a consumer; the rest are counted', async () => {
    const shards = Array.from({ length: 120 }, (_, n) => ({
      shardId: `shardId-${n}`,
      millisBehindLatest: 60_000,
      throttleStreak: 0,
    }));
    const health: ServerKinesisHealth = {
      kind: 'server',
      status: 'connected',
      consumers: [{ streamName: 'act', running: true, shards }],
    };
    const { kinesis } = await new KinesisHealthIndicator().isHealthy('kinesis', { health: () => health });
    expect(kinesis).toMatchObject({ status: 'down', unlisted: { problems: 70, shards: 70 } });
    expect(kinesis.problems).toHaveLength(50);
    expect(kinesis.kind === 'server' && kinesis.consumers[0].shards).toHaveLength(50);
  });
});
