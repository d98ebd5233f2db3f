/** Seneca 3 transport over Amazon Kinesis: `seneca.use(kinesisTransport, options)`. */
export {
  kinesisTransport,
  createKinesisTransport,
  PLUGIN_NAME,
  type KinesisTransportPlugin,
} from './plugin.js';
export { SENECA_DEFAULTS, type KinesisSenecaOptions } from './options.js';
export type { SenecaInstance, SenecaMessage } from './seneca-types.js';
/** What `seneca.export('kinesis-transport/transport')()` returns: its `stats`, its AWS client. */
export { SenecaKinesisTransport, type SenecaListenerStats } from './transport.js';
/** Replaceable parts: the `Stream`, `RecordProcessor` and `createProducer` options. */
export {
  KinesisStream,
  type ConsumeOptions,
  type KinesisStreamClass,
  type KinesisStreamDeps,
  type KinesisStreamSettings,
  type ProducerFactory,
  type ProducerLike,
} from './kinesis-stream.js';
export {
  SenecaRecordProcessor,
  type RecordProcessorContext,
  type SenecaRecordProcessorClass,
} from './record-processor.js';
export {
  ListenFailedError,
  RequestNotSentError,
  SenecaKinesisError,
  TransportUtilsMissingError,
} from './errors.js';
/** The wire contract (topics, partition keys, envelopes); the whole module is libs/seneca/src/wire. */
export {
  actPartitionKey,
  InvalidSenecaEnvelopeError,
  resPartitionKey,
  SENECA_ANY_TOPIC,
  senecaTopic,
  type InvalidSenecaEnvelopeReason,
  type LegacySenecaAct,
  type SenecaActEnvelope,
  type SenecaReplyEnvelope,
} from './wire/index.js';
