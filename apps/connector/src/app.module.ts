/** The HTTP app around ConnectorModule: pino logging, /health and /metrics (unless METRICS_ENABLED=false: 404). */
import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { ConnectorConfig } from './config.js';
import { ConnectorModule, type ConnectorModuleOptions, type ConnectorOverrides } from './connector.module.js';
import { ConnectorHealthIndicator, HealthController } from './health.js';
import { MetricsController } from './metrics.js';

export interface AppModuleOptions extends ConnectorModuleOptions {
  /** The validated config (the log level is needed before Nest builds anything). */
  config: ConnectorConfig;
  overrides?: ConnectorOverrides;
}

@Module({})
export class AppModule {
  static forRoot({ config, overrides, ...connector }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // Scrapes and probes every few seconds would drown the status lines.
            autoLogging: { ignore: (req) => ['/health', '/metrics'].includes(req.url ?? '') },
          },
        }),
        TerminusModule.forRoot({ logger: false }),
        ConnectorModule.forRoot(overrides, connector),
      ],
      controllers: config.metricsEnabled ? [HealthController, MetricsController] : [HealthController],
      providers: [ConnectorHealthIndicator],
    };
  }
}
