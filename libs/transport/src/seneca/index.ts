/** Seneca 3.x interop of the transporter: envelopes, ids, topics, pattern matching, errors. */
export {
  decodeSenecaAct,
  decodeSenecaReply,
  encodeSenecaAct,
  encodeSenecaReply,
  InvalidSenecaEnvelopeError,
  looksLikeSeneca,
  toSenecaResult,
  withoutDirectives,
  type OutgoingAct,
  type ReplyTiming,
  type SenecaAct,
  type SenecaErrorInfo,
  type SenecaReply,
} from './seneca-envelope.js';
export * from './seneca-errors.js';
export * from './seneca-ids.js';
export * from './seneca-topic.js';
export { PatternMatcher, compareSpecificity, type PatternEntry } from './pattern-matcher.js';
export type { SenecaActInfo, SenecaCallContext } from './seneca-call-context.js';
export { SenecaExceptionFilter } from './seneca-exception.filter.js';
export { SenecaDispatch, type SenecaServerPort } from './seneca-dispatch.js';
export { SenecaClientProtocol } from './seneca-client-protocol.js';
