/**
 * ConnectorModule: the connector pipeline as Nest providers, run by ConnectorService (started on bootstrap,
 * flushed and checkpointed on shutdown). Every part sits under its token (tokens.ts) with an options-built
 * default, so a user swaps one through DI:
 *   ConnectorModule.forRoot({ stream: 'orders', s3Bucket: 'archive' })
 *   ConnectorModule.forRoot({ stream: 'orders', parts: { emitter: MyEmitter } })    // a class (deps injected)
 *   ConnectorModule.forRoot({ stream: 'orders', parts: { emitter: { useValue: e } } }) // any provider shape
 *   ConnectorModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService],
 *     useFactory: (config: ConfigService) => ({ stream: config.getOrThrow('STREAM') }) })
 *   Test.createTestingModule({ imports: [ConnectorModule.forRoot(...)] }).overrideProvider(EMITTER).useValue(...)
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
import type { PipelineObserver } from '../pipeline-observer.js';
import { ConnectorService } from './connector.service.js';
import { resolveConnectorOptions, type ConnectorModuleOptions } from './options.js';
import { defaultParts, type PartName } from './parts.js';
import { ConnectorResources } from './resources.js';
import { CONNECTOR_OPTIONS, PIPELINE_OBSERVERS } from './tokens.js';

/** A class, or a provider without its token (the token is the part's). */
export type PartOverride =
  | Type<unknown>
  | Omit<ClassProvider, 'provide'>
  | Omit<ValueProvider, 'provide'>
  | Omit<FactoryProvider, 'provide'>
  | Omit<ExistingProvider, 'provide'>;

/** Parts replacing the defaults (a replaced default is never built). */
export type ConnectorParts = Partial<Record<PartName, PartOverride>>;

/** What the module is made of, known when it is imported (not from a factory). */
export interface ConnectorModuleSetup {
  parts?: ConnectorParts;
  /** More pipeline observers (e.g. Prometheus metrics): PipelineObserver[] under PIPELINE_OBSERVERS. */
  observers?: PartOverride;
  /** Modules the overriding providers (and forRootAsync's inject) need. */
  imports?: ModuleMetadata['imports'];
}

export interface ConnectorModuleAsyncOptions extends ConnectorModuleSetup {
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => ConnectorModuleOptions | Promise<ConnectorModuleOptions>;
}

@Module({})
export class ConnectorModule {
  /** Options given here: defaults applied and checked when the module is built (ConnectorOptionsError). */
  static forRoot({
    parts,
    observers,
    imports,
    ...options
  }: ConnectorModuleOptions & ConnectorModuleSetup): DynamicModule {
    return ConnectorModule.build(
      { parts, observers, imports },
      {
        provide: CONNECTOR_OPTIONS,
        useFactory: () => resolveConnectorOptions(options, replacedParts(parts)),
      },
    );
  }

  /** Options from a factory (e.g. a ConfigService), applied and checked at start like forRoot's. */
  static forRootAsync({ useFactory, inject, ...setup }: ConnectorModuleAsyncOptions): DynamicModule {
    return ConnectorModule.build(setup, {
      provide: CONNECTOR_OPTIONS,
      inject,
      useFactory: async (...args: never[]) =>
        resolveConnectorOptions(await useFactory(...args), replacedParts(setup.parts)),
    });
  }

  private static build(setup: ConnectorModuleSetup, options: FactoryProvider): DynamicModule {
    const parts = (Object.keys(defaultParts) as PartName[]).map(
      (name) => providerOf(defaultParts[name].provide as symbol, setup.parts?.[name]) ?? defaultParts[name],
    );
    const observers = providerOf(PIPELINE_OBSERVERS, setup.observers) ?? {
      provide: PIPELINE_OBSERVERS,
      useValue: [] satisfies PipelineObserver[],
    };
    return {
      module: ConnectorModule,
      imports: setup.imports ?? [],
      providers: [options, ConnectorResources, ConnectorService, observers, ...parts],
      exports: [
        CONNECTOR_OPTIONS,
        ConnectorResources,
        ConnectorService,
        ...parts.map((p) => (p as { provide: symbol }).provide),
      ],
    };
  }
}

/** The parts given instead of the defaults: their built-in kinds' options are not required. */
function replacedParts(parts: ConnectorParts | undefined): PartName[] {
  return (Object.keys(parts ?? {}) as PartName[]).filter((name) => parts![name] !== undefined);
}

function providerOf(token: symbol, override: PartOverride | undefined): Provider | undefined {
  if (!override) return undefined;
  return typeof override === 'function'
    ? { provide: token, useClass: override }
    : ({ ...override, provide: token } as Provider);
}
