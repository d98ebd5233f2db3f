/**
 * Trace context over a record's metadata (a `Record<string, string>`), through the propagator the app
 * registered (the SDK's default: W3C traceparent / tracestate). Metadata comes from records, so the getter only
 * hands the propagator bounded strings, a propagator that throws is contained, and only a valid span context is
 * kept: a malformed or oversized traceparent is ignored, never an exception.
 */
import type { Context } from '@opentelemetry/api';
import type { OtelApi } from './otel-api.js';

/** Longest propagation value read from a record: W3C tracestate's 512 characters (traceparent is 55). */
export const MAX_TRACE_HEADER_LENGTH = 512;

type Carrier = Record<string, string>;

const boundedValue = (carrier: Carrier, key: string): string | undefined => {
  const value = Object.prototype.hasOwnProperty.call(carrier, key) ? carrier[key] : undefined;
  return typeof value === 'string' && value.length <= MAX_TRACE_HEADER_LENGTH ? value : undefined;
};

const getter = {
  keys: (carrier: Carrier) => Object.keys(carrier).filter((key) => boundedValue(carrier, key) !== undefined),
  get: (carrier: Carrier, key: string) => boundedValue(carrier, key),
};

const setter = {
  set: (carrier: Carrier, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** The propagation fields of `context` (traceparent, tracestate with W3C), as a new carrier. */
export function injectContext(api: OtelApi, context: Context): Carrier {
  const carrier: Carrier = {};
  try {
    api.propagation.inject(context, carrier, setter);
  } catch {
    return {}; // a custom propagator's bug: the message goes out without trace context
  }
  return carrier;
}

/** The fields the registered propagator writes (W3C: traceparent, tracestate); [] when it cannot say. */
export function propagationFields(api: OtelApi): string[] {
  try {
    return api.propagation.fields();
  } catch {
    return [];
  }
}

/** The remote context carried by `carrier`, only when it holds a valid span context. */
export function extractContext(api: OtelApi, carrier: Carrier | undefined): Context | undefined {
  if (!carrier) return undefined;
  let context: Context;
  try {
    context = api.propagation.extract(api.ROOT_CONTEXT, carrier, getter);
  } catch {
    return undefined;
  }
  const span = api.trace.getSpanContext(context);
  return span && api.trace.isSpanContextValid(span) ? context : undefined;
}
