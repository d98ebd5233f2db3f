/**
 * The HTTP app around the library's ConnectorModule: the configuration (environment / JSON file, validated) as a
 * ConfigModule namespace handed to ConnectorModule.forRootAsync through ConfigService, pino logging, /health and
 * /metrics (unless METRICS_ENABLED=false: 404).
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { ConnectorModule, type ConnectorParts } from '../../../libs/connector/src/nest/index.js';
import { CONNECTOR_CONFIG_NAMESPACE, connectorConfigFactory, type ConnectorConfig } from './config.js';
import { ConnectorHealthIndicator, HealthController } from './health.js';
import { ConnectorMetrics, MetricsController, MetricsModule } from './metrics.js';

export interface AppModuleOptions {
  /** The validated config (the log level is needed before Nest builds anything). */
  config: ConnectorConfig;
  /** Configuration source instead of process.env (tests, embedding). */
  env?: Record<string, string | undefined>;
  /** Parts replacing the configured ones (see ConnectorModule). */
  parts?: ConnectorParts;
}

@Module({})
export class AppModule {
  static forRoot({ config, env, parts }: AppModuleOptions): DynamicModule {
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
        MetricsModule,
        ConnectorModule.forRootAsync({
          imports: [
            // No .env file and nothing written back to process.env: the load factory validates the config.
            ConfigModule.forRoot({
              ignoreEnvFile: true,
              validatePredefined: false,
              load: [connectorConfigFactory(env)],
            }),
            MetricsModule,
          ],
          inject: [ConfigService],
          useFactory: (configService: ConfigService) =>
            configService.getOrThrow<ConnectorConfig>(CONNECTOR_CONFIG_NAMESPACE),
          observers: { inject: [ConnectorMetrics], useFactory: (metrics: ConnectorMetrics) => [metrics] },
          parts,
        }),
      ],
      controllers: config.metricsEnabled ? [HealthController, MetricsController] : [HealthController],
      providers: [ConnectorHealthIndicator],
    };
  }
}
