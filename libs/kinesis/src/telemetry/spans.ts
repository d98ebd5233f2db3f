/**
 * Messaging spans (OpenTelemetry semantic conventions for messaging): `send <stream>` (producer), `process
 * <stream>` (consumer), with messaging.system `aws_kinesis` (the registry lists no value for Kinesis; this follows
 * `aws_sqs`). Callers get a MessagingSpan, never an OpenTelemetry type: without the API (or with telemetry off)
 * it is NO_SPAN, and every method does nothing.
 */
import type { Attributes, Context, Link, Span } from '@opentelemetry/api';
import { forLog } from '../untrusted/untrusted.js';
import { otelApi, type OtelApi } from './otel-api.js';
import { extractContext, injectContext } from './propagation.js';

export const MESSAGING_SYSTEM = 'aws_kinesis';
export const TELEMETRY_SCOPE = 'nestjs-kinesis-transport';

/** Longest record-chosen string put in a span attribute (patterns): cut, control characters replaced. */
export const MAX_ATTRIBUTE_CHARS = 128;
/** Links of one span at most (the SDK's default span link limit). */
export const MAX_SPAN_LINKS = 128;

type Carrier = Record<string, string>;

export interface MessagingSpanSpec {
  /** messaging.operation.name: `send`, `process`, or the connector's `emit`. */
  operation: string;
  /** messaging.operation.type: `send` (producer) or `process` (consumer). */
  type: 'send' | 'process';
  /** messaging.destination.name: a configured stream name. */
  destination: string;
  messageId?: string;
  shardId?: string;
  /** More attributes; a record-chosen string must go through `cutForAttribute`. */
  attributes?: Attributes;
  /** A record's metadata: its context is the span's parent (one message processed) and a link. */
  remoteParent?: Carrier;
  /** Take `remoteParent` only when it is in this trace (a reply on a stream others can write). */
  remoteParentTraceId?: string;
  /** The span's local parent (default: the active context). */
  parent?: MessagingSpan;
  /** Metadata of the records processed together (a batch): links only. */
  linksFrom?: Iterable<Carrier | undefined>;
}

export interface MessagingSpan {
  /** The span's context as propagation fields (W3C: traceparent, tracestate); `{}` for NO_SPAN. */
  carrier(): Carrier;
  readonly traceId: string | undefined;
  setAttributes(attributes: Attributes): void;
  /** Marks the span failed: status ERROR and `error.type` (a fixed name, never the error's message). */
  fail(errorType: string): void;
  end(): void;
  /** Runs `fn` with this span active: the spans `fn` starts are its children. */
  run<T>(fn: () => T): T;
}

export const NO_SPAN: MessagingSpan = Object.freeze({
  carrier: () => ({}),
  traceId: undefined,
  setAttributes: () => undefined,
  fail: () => undefined,
  end: () => undefined,
  run: <T>(fn: () => T) => fn(),
});

/** A record-chosen string fit for a span attribute (bounded, no control characters). */
export function cutForAttribute(value: unknown): string {
  return forLog(value, MAX_ATTRIBUTE_CHARS);
}

class OtelMessagingSpan implements MessagingSpan {
  constructor(
    private readonly api: OtelApi,
    private readonly span: Span,
    private readonly context: Context,
  ) {}

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  carrier(): Carrier {
    return injectContext(this.api, this.context);
  }

  setAttributes(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  fail(errorType: string): void {
    this.span.setAttribute('error.type', errorType);
    this.span.setStatus({ code: this.api.SpanStatusCode.ERROR });
  }

  end(): void {
    this.span.end();
  }

  run<T>(fn: () => T): T {
    return this.api.context.with(this.context, fn);
  }

  /** The context a child of this span starts from (reply hop: the call span is the reply's parent). */
  get ownContext(): Context {
    return this.context;
  }
}

function linksOf(api: OtelApi, carriers: Iterable<Carrier | undefined>): Link[] {
  const links = new Map<string, Link>();
  for (const carrier of carriers) {
    if (links.size >= MAX_SPAN_LINKS) break;
    const remote = extractContext(api, carrier);
    const context = remote && api.trace.getSpanContext(remote);
    if (context) links.set(`${context.traceId}-${context.spanId}`, { context });
  }
  return [...links.values()];
}

/** Starts a messaging span; NO_SPAN without the API. */
export function startMessagingSpan(spec: MessagingSpanSpec): MessagingSpan {
  const api = otelApi();
  if (!api) return NO_SPAN;
  let remote = extractContext(api, spec.remoteParent);
  if (remote && spec.remoteParentTraceId !== undefined)
    if (api.trace.getSpanContext(remote)?.traceId !== spec.remoteParentTraceId) remote = undefined;
  const local = spec.parent instanceof OtelMessagingSpan ? spec.parent.ownContext : api.context.active();
  const parent = remote ?? local;
  const links = linksOf(api, spec.linksFrom ?? []);
  const remoteContext = remote && api.trace.getSpanContext(remote);
  // Semantic conventions: a consumer links the message's creation context; one message processed alone may
  // also have it as parent, which is what makes a call one trace (client -> server -> reply).
  if (remoteContext) links.push({ context: remoteContext });
  const attributes: Attributes = {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.operation.name': spec.operation,
    'messaging.operation.type': spec.type,
    'messaging.destination.name': spec.destination,
    ...(spec.messageId ? { 'messaging.message.id': cutForAttribute(spec.messageId) } : {}),
    ...(spec.shardId ? { 'messaging.destination.partition.id': spec.shardId } : {}),
    ...spec.attributes,
  };
  const kind = spec.type === 'send' ? api.SpanKind.PRODUCER : api.SpanKind.CONSUMER;
  const tracer = api.trace.getTracer(TELEMETRY_SCOPE);
  const span = tracer.startSpan(`${spec.operation} ${spec.destination}`, { kind, attributes, links }, parent);
  return new OtelMessagingSpan(api, span, api.trace.setSpan(parent, span));
}
