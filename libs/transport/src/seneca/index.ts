/** Seneca 3.x interop of the transporter: envelopes, ids, topics, pattern matching, errors. */
// The wire (topics, ids, envelope codec) is the Seneca plugin's wire module; re-exported for the transport's API.
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
  type SenecaReplyEnvelope,
  defaultSenecaInstanceId,
  newSenecaInstanceId,
  newSenecaMessageId,
  parseSenecaMessageId,
  senecaNid,
  actPartitionKey,
  keySubsetTopics,
  pinHasWildcards,
  resPartitionKey,
  SENECA_ANY_TOPIC,
  SENECA_MSGPREFIX,
  senecaTopic,
  topicOfActKey,
} from '../../../seneca/src/wire/index.js';
export * from './seneca-errors.js';
export { PatternMatcher, compareSpecificity, type PatternEntry } from './pattern-matcher.js';
export type { SenecaActInfo, SenecaCallContext } from './seneca-call-context.js';
export { SenecaExceptionFilter } from './seneca-exception.filter.js';
export { SenecaContext } from './seneca-context.js';
export { SenecaServerProtocol, type SenecaServerInfo } from './seneca-server-protocol.js';
export { SenecaClientProtocol } from './seneca-client-protocol.js';
