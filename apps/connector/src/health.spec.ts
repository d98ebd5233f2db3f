import 'reflect-metadata';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ConnectorHealth, ConnectorService } from './connector.service.js';
import { ConnectorHealthIndicator } from './health.js';

function indicator(health: ConnectorHealth): ConnectorHealthIndicator {
  return new ConnectorHealthIndicator(new HealthIndicatorService(), {
    health: () => health,
  } as ConnectorService);
}

describe('ConnectorHealthIndicator', () => {
  it('is up while running with shards being read', () => {
    expect(indicator({ state: 'running', stream: 's', activeShards: ['shardId-0'] }).check()).toEqual({
      connector: {
        status: 'up',
        state: 'running',
        stream: 's',
        activeShards: ['shardId-0'],
        activeShardCount: 1,
      },
    });
  });

  it.each<ConnectorHealth>([
    { state: 'starting', stream: 's', activeShards: [] },
    { state: 'running', stream: 's', activeShards: [], lastError: 'shardId-0: stream gone' },
    { state: 'stopping', stream: 's', activeShards: ['shardId-0'] },
    { state: 'failed', stream: 's', activeShards: [], lastError: 'ResourceNotFoundException' },
  ])('is down with details when $state with $activeShards.length shard(s)', (health) => {
    expect(indicator(health).check()).toEqual({
      connector: { status: 'down', ...health, activeShardCount: health.activeShards.length },
    });
  });
});
