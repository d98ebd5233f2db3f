/** Seneca 3 transport over Amazon Kinesis: `seneca.use(kinesisTransport, options)`. */
export {
  kinesisTransport,
  createKinesisTransport,
  PLUGIN_NAME,
  type KinesisTransportPlugin,
} from './plugin.js';
export { SenecaKinesisTransport } from './transport.js';
export {
  KinesisStream,
  type KinesisStreamClass,
  type KinesisStreamDeps,
  type ConsumeOptions,
} from './kinesis-stream.js';
export {
  SenecaRecordProcessor,
  type RecordProcessorContext,
  type SenecaRecordProcessorClass,
} from './record-processor.js';
export {
  resolveOptions,
  streamOverrides,
  type KinesisSenecaOptions,
  type ProducerFactory,
  type ProducerLike,
  type ResolvedSenecaOptions,
  type StreamOverrides,
} from './options.js';
export { listenHook } from './listener.js';
export { clientHook } from './client.js';
export { senecaLogger } from './logger.js';
export * from './errors.js';
export * from './wire.js';
export type * from './seneca-types.js';
