/**
 * KinesisModule: the core's AWS client and named producers as Nest providers, closed with the application.
 *   KinesisModule.forRoot({ endpoint, producers: { events: { streamName: 'events', lingerMs: 50 } } })
 *   KinesisModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], producers: ['events'],
 *     useFactory: (config: ConfigService) => ({ producers: { events: { streamName: config.getOrThrow('S') } } }) })
 *   constructor(@InjectProducer('events') events: Producer, @InjectKinesisClient() kinesis: KinesisClient)
 *   Test.createTestingModule(...).overrideProvider(getProducerToken('events')).useValue(fake)
 */
import { Module, type DynamicModule, type FactoryProvider, type Provider } from '@nestjs/common';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisModuleResources } from './kinesis-resources.js';
import {
  resolveKinesisModuleOptions,
  type KinesisModuleAsyncOptions,
  type KinesisModuleOptions,
  type KinesisModuleSetup,
} from './options.js';
import { getProducerToken, KINESIS_AWS_CLIENT, KINESIS_MODULE_OPTIONS } from './tokens.js';

@Module({})
export class KinesisModule {
  /** Options given here; checked when the module is built (KinesisModuleOptionsError). */
  static forRoot({ isGlobal, ...options }: KinesisModuleOptions & KinesisModuleSetup): DynamicModule {
    return build(isGlobal, [], Object.keys(options.producers ?? {}), {
      provide: KINESIS_MODULE_OPTIONS,
      useFactory: () => resolveKinesisModuleOptions(options),
    });
  }

  /** Options from a factory (e.g. a ConfigService); `producers` names the producers it configures. */
  static forRootAsync({
    isGlobal,
    imports,
    inject,
    useFactory,
    producers = [],
  }: KinesisModuleAsyncOptions): DynamicModule {
    return build(isGlobal, imports ?? [], [...new Set(producers)], {
      provide: KINESIS_MODULE_OPTIONS,
      inject,
      useFactory: async (...args: never[]) =>
        resolveKinesisModuleOptions(await useFactory(...args), producers),
    });
  }
}

function build(
  isGlobal: boolean | undefined,
  imports: NonNullable<DynamicModule['imports']>,
  producerNames: readonly string[],
  options: FactoryProvider,
): DynamicModule {
  const client: FactoryProvider = {
    provide: KINESIS_AWS_CLIENT,
    inject: [KinesisModuleResources],
    useFactory: (resources: KinesisModuleResources) => resources.client(),
  };
  // Each producer writes through whatever sits under KINESIS_AWS_CLIENT (a test's override included).
  const producers: Provider[] = producerNames.map((name) => ({
    provide: getProducerToken(name),
    inject: [KinesisModuleResources, KINESIS_AWS_CLIENT],
    useFactory: (resources: KinesisModuleResources, kinesis: KinesisClient) =>
      resources.producer(name, kinesis),
  }));
  return {
    module: KinesisModule,
    global: isGlobal ?? false,
    imports,
    providers: [options, KinesisModuleResources, client, ...producers],
    exports: [KINESIS_AWS_CLIENT, ...producerNames.map(getProducerToken)],
  };
}
