/**
 * The Nest transporter: ServerKinesis, ClientKinesis, their context, envelope and errors; Seneca interop;
 * KinesisModule (the core's client and producers as Nest providers).
 */
export * from './server-kinesis.js';
export * from './client-kinesis.js';
export * from './shared/kinesis.context.js';
export * from './native/envelope.js';
export * from './shared/errors.js';
export {
  InvalidMessageOptionsError,
  KinesisMessage,
  KinesisMessageBuilder,
  type KinesisMessageOptions,
} from './shared/record-builder.js';
export * from './shared/options.js';
export type { ClientProtocol, ServerProtocol } from './shared/protocol.js';
export {
  EnvelopeSigner,
  MIN_SIGNING_KEY_BYTES,
  SignatureError,
  SigningOptionsError,
  type SignatureRefusal,
  type SignedKind,
} from './native/signing.js';
export { DedupeWindow } from '../../kinesis/src/untrusted/dedupe-window.js';
export * from './seneca/index.js';
export * from './module/index.js';
export {
  DEAD_LETTER_KIND,
  DeadLetterError,
  KinesisDeadLetterError,
  KinesisRetryableError,
  parseDeadLetter,
  type EventDeadLetter,
} from './shared/dead-letters.js';
export * from './redrive.js';
export {
  jsonOrBytes,
  type ConsumedStreamOptions,
  type RecordDeserializer,
  type StreamEvent,
  type StreamRecord,
} from './shared/consumed-streams.js';
export * from './health/index.js';
