/**
 * `/health` (terminus): up while the connector runs, its consumer reads at least one shard, and nothing is wrong:
 * no shard with records waiting unwritten longer than HEALTH_STALL_MS, lag above HEALTH_MAX_LAG_MS or a lost
 * lease (the connector's own checks), none without a read for longer than allowed or throttled more reads in a
 * row than allowed, and, with leases, this worker not below its share of them past the grace period (the core's
 * checks of Consumer.health(), with CONSUMER_HEALTH_DEFAULTS; lag is not checked twice); else 503 with the
 * details, per shard.
 */
import { Controller, Get, Inject, Injectable } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import {
  CONSUMER_HEALTH_DEFAULTS,
  consumerHealthProblems,
  type ConsumerHealthLimits,
} from '../../../libs/kinesis/src/index.js';
import { ConnectorService } from '../../../libs/connector/src/nest/index.js';

@Injectable()
export class ConnectorHealthIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ConnectorService) private readonly connector: ConnectorService,
  ) {}

  check(key = 'connector', limits: Partial<ConsumerHealthLimits> = {}) {
    const session = this.indicators.check(key);
    const health = this.connector.health();
    // The connector's problems hold the lag check (HEALTH_MAX_LAG_MS): the consumer's are the others.
    const consumerLimits = { ...CONSUMER_HEALTH_DEFAULTS, ...limits, maxLagMs: 0 };
    const consumerProblems =
      health.state === 'running' && health.consumer
        ? consumerHealthProblems(health.consumer, consumerLimits)
        : [];
    const problems = [...health.problems, ...consumerProblems];
    const details = { ...health, problems, activeShardCount: health.activeShards.length };
    // Started but reading no shard (stream gone, every reader failed) is down too: nothing moves.
    return health.state === 'running' && health.activeShards.length > 0 && problems.length === 0
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
