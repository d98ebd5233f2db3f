/**
 * `nestjs-kinesis-transport/transport`: the Nest transporter. `ServerKinesis` (a CustomTransportStrategy) and
 * `ClientKinesis` (a ClientProxy) over an act stream and a reply stream, speaking the native envelope or Seneca's.
 */
export {
  CLIENT_DEFAULTS,
  ClientKinesis,
  DEFAULT_ACT_STREAM,
  DEFAULT_RES_STREAM,
  KINESIS_TRANSPORT,
  KinesisContext,
  SenecaContext,
  SenecaExceptionFilter,
  SERVER_DEFAULTS,
  ServerKinesis,
  MIN_SIGNING_KEY_BYTES,
  type ClientKinesisOptions,
  type ClientKinesisStats,
  type ClientProtocolName,
  type KinesisContextArgs,
  type KinesisStatus,
  type KinesisTransportOptions,
  type PartitionBy,
  type SenecaActInfo,
  type SenecaClientOptions,
  type SenecaServerOptions,
  type ServerKinesisEvents,
  type ServerKinesisOptions,
  type ServerKinesisStats,
  type ServerProtocolName,
  type SigningOptions,
  // Errors (all KinesisError)
  ClientClosedError,
  ForbiddenReplyStreamError,
  InvalidEnvelopeError,
  InvalidSenecaPatternError,
  RequestTimeoutError,
  SenecaActError,
  SignatureError,
  SigningOptionsError,
  StreamNotFoundError,
  type SignatureRefusal,
} from '../../libs/transport/src/index.js';
export type { SenecaExceptionFilterOptions } from '../../libs/transport/src/seneca/seneca-exception.filter.js';
