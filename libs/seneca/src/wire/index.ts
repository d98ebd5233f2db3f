/**
 * THE Seneca wire module: topics and partition keys, ids, and the envelope codec (acts and replies), as Seneca 3.x
 * with seneca-transport puts them on Kinesis. Used by the Seneca plugin (libs/seneca) and by the Nest transporter's
 * seneca protocol (libs/transport/src/seneca); it imports only the core. Encoders return a Buffer (a record's data,
 * UTF-8 JSON); decoders take one (or an act's parsed object) and throw only InvalidSenecaEnvelopeError.
 */
export {
  decodeLegacySenecaAct,
  decodeSenecaAct,
  encodeSenecaAct,
  encodeSenecaEnvelope,
  InvalidSenecaEnvelopeError,
  isPlainObject,
  looksLikeSeneca,
  MAX_INSTANCE_ID_LENGTH,
  MAX_TRACK_LENGTH,
  parseSenecaJson,
  withoutDirectives,
  type InvalidSenecaEnvelopeReason,
  type LegacySenecaAct,
  type OutgoingAct,
  type SenecaAct,
  type SenecaActEnvelope,
} from './envelope.js';
export {
  decodeSenecaReply,
  encodeSenecaReply,
  SENECA_ERROR_TEXTS,
  senecaErrorText,
  senecaReplyFor,
  toSenecaResult,
  type ReplyOutcome,
  type ReplyTiming,
  type SenecaErrorCode,
  type SenecaErrorInfo,
  type SenecaReplyEnvelope,
} from './reply.js';
export {
  actPartitionKey,
  keySubsetTopics,
  patternUnderPin,
  pinHasWildcards,
  replyHashKey,
  resPartitionKey,
  SENECA_ANY_TOPIC,
  SENECA_MSGPREFIX,
  senecaAnyTopic,
  senecaTopic,
  topicOfActKey,
} from './topics.js';
export {
  defaultSenecaInstanceId,
  newSenecaInstanceId,
  newSenecaMessageId,
  parseSenecaMessageId,
  senecaNid,
} from './ids.js';
