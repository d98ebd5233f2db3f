import 'reflect-metadata';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ConnectorHealth, ConnectorService } from '../../../libs/connector/src/nest/index.js';
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
});
