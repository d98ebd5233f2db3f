/**
 * `GET /health` of the example: Terminus with KinesisHealthIndicator for the orders service's ServerKinesis and
 * the caller's ClientKinesis (one process here; in production each app checks its own).
 */
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import type { ClientKinesis, ServerKinesis } from '../../../libs/transport/src/index.js';
import { KinesisHealthIndicator } from '../../../libs/transport/src/health/index.js';
import { ORDERS } from './checkout.service.js';

/** The injection token of the orders service's server (given to CheckoutModule.forRoot). */
export const ORDERS_SERVER = 'ORDERS_SERVER';

@Controller()
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(KinesisHealthIndicator) private readonly kinesis: KinesisHealthIndicator,
    @Inject(ORDERS) private readonly orders: ClientKinesis,
    @Inject(ORDERS_SERVER) private readonly server: ServerKinesis,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.kinesis.isHealthy('orders-service', this.server),
      () => this.kinesis.isHealthy('orders-client', this.orders),
    ]);
  }
}
