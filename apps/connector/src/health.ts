/**
 * `/health` (terminus): up while the connector runs, its consumer reads at least one shard, and no shard has a
 * problem (records waiting unwritten longer than HEALTH_STALL_MS, lag above HEALTH_MAX_LAG_MS, a lease lost);
 * else 503 with the details, per shard.
 */
import { Controller, Get, Inject, Injectable } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ConnectorService } from '../../../libs/connector/src/nest/index.js';

@Injectable()
export class ConnectorHealthIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ConnectorService) private readonly connector: ConnectorService,
  ) {}

  check(key = 'connector') {
    const session = this.indicators.check(key);
    const health = this.connector.health();
    const details = { ...health, activeShardCount: health.activeShards.length };
    // Started but reading no shard (stream gone, every reader failed) is down too: nothing moves.
    return health.state === 'running' && health.activeShards.length > 0 && health.problems.length === 0
      ? session.up(details)
      : session.down(details);
  }
}

@Controller()
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(ConnectorHealthIndicator) private readonly connector: ConnectorHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.connector.check()]);
  }
}
