import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ClientsModule } from '@nestjs/microservices';
import { TerminusModule } from '@nestjs/terminus';
import { KinesisHealthIndicator } from '../../../libs/transport/src/health/index.js';
import {
  ClientKinesis,
  type ClientKinesisOptions,
  type ServerKinesis,
} from '../../../libs/transport/src/index.js';
import { CheckoutService, ORDERS } from './checkout.service.js';
import { HealthController, ORDERS_SERVER } from './health.controller.js';

/** The caller's configuration keys, as an app would read them from its environment. */
export interface CheckoutSettings {
  KINESIS_ENDPOINT?: string;
  ORDERS_ACT_STREAM: string;
  ORDERS_RES_STREAM: string;
  ORDERS_TIMEOUT_MS?: number;
  /** Shard counts of the streams to create when absent (the example's convenience; off in production). */
  ORDERS_CREATE_STREAMS?: { act: number; res: number };
}

/**
 * The calling application. Its ClientKinesis comes from ClientsModule.registerAsync, configured through
 * ConfigService as in any Nest app; `settings` stand in for the environment (they take precedence over it).
 * `GET /health` (Terminus) checks its client and the orders service's `server` (health.controller.ts).
 */
@Module({})
export class CheckoutModule {
  static forRoot(settings: CheckoutSettings, server: ServerKinesis): DynamicModule {
    return {
      module: CheckoutModule,
      controllers: [HealthController],
      imports: [
        TerminusModule,
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => settings] }),
        ClientsModule.registerAsync({
          clients: [
            {
              name: ORDERS,
              imports: [ConfigModule],
              inject: [ConfigService],
              useFactory: (config: ConfigService) => ({
                customClass: ClientKinesis,
                options: {
                  endpoint: config.get<string>('KINESIS_ENDPOINT'),
                  actStream: config.getOrThrow<string>('ORDERS_ACT_STREAM'),
                  resStream: config.getOrThrow<string>('ORDERS_RES_STREAM'),
                  // Numbers from the environment arrive as strings.
                  timeoutMs: Number(config.get('ORDERS_TIMEOUT_MS', 10_000)),
                  createStreams: config.get<{ act: number; res: number }>('ORDERS_CREATE_STREAMS'),
                } satisfies ClientKinesisOptions,
              }),
            },
          ],
        }),
      ],
      providers: [CheckoutService, KinesisHealthIndicator, { provide: ORDERS_SERVER, useValue: server }],
    };
  }
}
