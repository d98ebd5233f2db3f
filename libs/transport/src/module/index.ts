export { KinesisModule } from './kinesis.module.js';
export { InjectKinesisClient, InjectProducer } from './decorators.js';
export { getProducerToken, KINESIS_AWS_CLIENT } from './tokens.js';
export {
  KinesisModuleOptionsError,
  type KinesisModuleAsyncOptions,
  type KinesisModuleOptions,
  type KinesisModuleSetup,
  type NamedProducerOptions,
} from './options.js';
