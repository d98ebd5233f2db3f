/** Telemetry of the library (internal): OpenTelemetry spans and metrics, no-ops without `@opentelemetry/api`. */
export { loadOtelApi, otelApi, otelReady, OTEL_API_PACKAGE } from './otel-api.js';
export { extractContext, injectContext, MAX_TRACE_HEADER_LENGTH, propagationFields } from './propagation.js';
export {
  cutForAttribute,
  MAX_ATTRIBUTE_CHARS,
  MAX_SPAN_LINKS,
  MESSAGING_SYSTEM,
  NO_SPAN,
  startMessagingSpan,
  TELEMETRY_SCOPE,
  type MessagingSpan,
  type MessagingSpanSpec,
} from './spans.js';
export {
  instruments,
  messagingAttributes,
  METRIC_NAMES,
  observeLag,
  observePendingCalls,
  secondsSince,
  type GaugeSource,
  type KinesisInstruments,
} from './instruments.js';
export { envelopeTraceCarrier, MAX_LINKED_RECORD_BYTES } from './record-context.js';
