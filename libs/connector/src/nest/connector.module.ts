/**
 * ConnectorModule.forRoot(overrides?): the connector pipeline as Nest providers. Every part sits under its
 * libs/connector token with a config-built default, so a user swaps one through DI:
 *   ConnectorModule.forRoot({ emitter: MyEmitter })                      // a class (its deps are injected)
 *   ConnectorModule.forRoot({ emitter: { useValue: emitter } })         // any provider shape, minus `provide`
 *   Test.createTestingModule({ imports: [ConnectorModule.forRoot()] }).overrideProvider(EMITTER).useValue(...)
 */
import {
  Module,
  type ClassProvider,
  type DynamicModule,
  type ExistingProvider,
  type FactoryProvider,
  type ModuleMetadata,
  type Provider,
  type Type,
  type ValueProvider,
} from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { connectorConfigFactory } from './config.js';
import { ConnectorService } from './connector.service.js';
import { ConnectorMetrics } from './metrics.js';
import { defaultParts } from './parts.js';
import { ConnectorResources } from './resources.js';

/** A class, or a provider without its token (the token is the part's). */
export type PartOverride =
  | Type<unknown>
  | Omit<ClassProvider, 'provide'>
  | Omit<ValueProvider, 'provide'>
  | Omit<FactoryProvider, 'provide'>
  | Omit<ExistingProvider, 'provide'>;

export interface ConnectorOverrides {
  transformer?: PartOverride;
  filter?: PartOverride;
  bufferFactory?: PartOverride;
  emitter?: PartOverride;
  deadLetter?: PartOverride;
  checkpointStore?: PartOverride;
}

export interface ConnectorModuleOptions {
  /** Configuration source instead of process.env (tests, embedding). */
  env?: Record<string, string | undefined>;
  /** Modules the overriding providers need. */
  imports?: ModuleMetadata['imports'];
}

@Module({})
export class ConnectorModule {
  static forRoot(overrides: ConnectorOverrides = {}, options: ConnectorModuleOptions = {}): DynamicModule {
    const parts = (Object.keys(defaultParts) as Array<keyof typeof defaultParts>).map((name): Provider => {
      const override = overrides[name];
      const token = defaultParts[name].provide;
      if (!override) return defaultParts[name];
      return typeof override === 'function'
        ? { provide: token, useClass: override }
        : ({ ...override, provide: token } as Provider);
    });
    return {
      module: ConnectorModule,
      imports: [
        // No .env file and nothing written back to process.env: the load factory validates the config.
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          validatePredefined: false,
          load: [connectorConfigFactory(options.env)],
        }),
        ...(options.imports ?? []),
      ],
      providers: [ConnectorResources, ConnectorMetrics, ConnectorService, ...parts],
      exports: [
        ConfigModule, // CONNECTOR_CONFIG
        ConnectorResources,
        ConnectorMetrics,
        ConnectorService,
        ...parts.map((p) => (p as { provide: unknown }).provide as symbol),
      ],
    };
  }
}
