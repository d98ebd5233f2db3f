/** The Nest transporter: ServerKinesis, ClientKinesis, their context, envelope and errors; Seneca interop. */
export * from './server-kinesis.js';
export * from './client-kinesis.js';
export * from './shared/kinesis.context.js';
export * from './native/envelope.js';
export * from './shared/errors.js';
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
