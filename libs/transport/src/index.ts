/** The Nest transporter: ServerKinesis, KinesisClient, their context, envelope and errors; Seneca interop. */
export * from './kinesis-server.js';
export * from './kinesis-client.js';
export * from './kinesis.context.js';
export * from './envelope.js';
export * from './errors.js';
export * from './options.js';
export {
  EnvelopeSigner,
  MIN_SIGNING_KEY_BYTES,
  SignatureError,
  SigningOptionsError,
  type SignatureRefusal,
  type SignedKind,
  type SigningOptions,
} from './signing.js';
export { DedupeWindow } from '../../kinesis/src/untrusted/dedupe-window.js';
export * from './seneca/index.js';
