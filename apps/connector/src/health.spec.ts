import 'reflect-metadata';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ConnectorHealth, ConnectorService } from '../../../libs/connector/src/nest/index.js';
import type { ConsumerHealth } from '../../../libs/kinesis/src/index.js';
import { ConnectorHealthIndicator } from './health.js';

function indicator(health: ConnectorHealth): ConnectorHealthIndicator {
  return new ConnectorHealthIndicator(new HealthIndicatorService(), {
    health: () => health,
  } as ConnectorService);
}

describe('ConnectorHealthIndicator', () => {
  it('is up while running with shards being read', () => {
    expect(
      indicator({ state: 'running', stream: 's', activeShards: ['shardId-0'], problems: [] }).check(),
    ).toEqual({
      connector: {
        status: 'up',
        state: 'running',
        stream: 's',
        activeShards: ['shardId-0'],
        activeShardCount: 1,
        problems: [],
      },
    });
  });

  it.each<ConnectorHealth>([
    { state: 'starting', stream: 's', activeShards: [], problems: [] },
    { state: 'running', stream: 's', activeShards: [], problems: [], lastError: 'shardId-0: stream gone' },
    { state: 'stopping', stream: 's', activeShards: ['shardId-0'], problems: [] },
    { state: 'failed', stream: 's', activeShards: [], problems: [], lastError: 'ResourceNotFoundException' },
    {
      state: 'running',
      stream: 's',
      activeShards: ['shardId-0'],
      problems: [{ shardId: 'shardId-0', problem: 'stalled', detail: 'emitter failing' }],
    },
  ])('is down with details when $state with $activeShards.length shard(s)', (health) => {
    expect(indicator(health).check()).toEqual({
      connector: { status: 'down', ...health, activeShardCount: health.activeShards.length },
    });
  });

  const consumer = (over: Partial<ConsumerHealth>): ConsumerHealth => ({
    streamName: 's',
    running: true,
    shards: [{ shardId: 'shardId-0', throttleStreak: 0 }],
    ...over,
  });

  it("reports the consumer's throttle streak and lease share, down past their limits", () => {
    const health: ConnectorHealth = {
      state: 'running',
      stream: 's',
      activeShards: ['shardId-0'],
      problems: [],
      consumer: consumer({
        shards: [{ shardId: 'shardId-0', throttleStreak: 11, millisBehindLatest: 0 }],
        leases: {
          leasesHeld: 1,
          workers: 2,
          openShards: 4,
          evenShare: 2,
          unleasedShards: 0,
          belowShareSince: Date.now() - 120_000,
        },
      }),
    };
    expect(indicator(health).check().connector).toMatchObject({
      status: 'down',
      consumer: health.consumer,
      problems: [
        { shardId: 'shardId-0', problem: 'throttled', detail: '11 throttled reads in a row > 10' },
        {
          problem: 'below lease share',
          detail: expect.stringMatching(/^holds 1 of 4 leases among 2 workers \(even share 2\) for \d+ ms$/),
        },
      ],
    });
    const within = {
      ...health,
      consumer: consumer({ leases: { ...health.consumer!.leases!, belowShareSince: Date.now() } }),
    };
    expect(indicator(within).check().connector.status).toBe('up'); // within the grace period
  });

  it('checks lag once: the connector reports it, the consumer snapshot does not again', () => {
    const lagging = {
      shardId: 'shardId-0',
      problem: 'lagging' as const,
      detail: 'millisBehindLatest 900000 > 600000',
    };
    const health: ConnectorHealth = {
      state: 'running',
      stream: 's',
      activeShards: ['shardId-0'],
      problems: [lagging],
      consumer: consumer({
        shards: [{ shardId: 'shardId-0', throttleStreak: 0, millisBehindLatest: 900_000 }],
      }),
    };
    expect(indicator(health).check().connector).toMatchObject({ status: 'down', problems: [lagging] });
  });
});
