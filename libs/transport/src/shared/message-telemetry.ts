/**
 * Traces and metrics of the transporter's messages (OpenTelemetry; no-ops without it, or with `telemetry: false`).
 *
 *   client  send <act>     producer span; native: its context rides in the envelope's metadata (traceparent, ...)
 *   server  process <act>  consumer span: child of that context and linked to it (one message processed alone)
 *   server  send <res>     producer span of each native reply, child of the process span; its context in the reply
 *   client  process <res>  consumer span of a native reply: child of the reply's context when in the call's trace
 *
 * Seneca acts get the client and server spans but carry no context: a Seneca act has no header field, and custom$
 * is application data that Seneca copies into every nested act (a stale parent for all of them).
 */
import type { WritePacket } from '@nestjs/microservices';
import type { KinesisRecord } from '../../../kinesis/src/index.js';
import {
  cutForAttribute,
  envelopeTraceCarrier,
  instruments,
  messagingAttributes,
  NO_SPAN,
  otelApi,
  propagationFields,
  secondsSince,
  startMessagingSpan,
  type MessagingSpan,
} from '../../../kinesis/src/telemetry/index.js';
import { RequestTimeoutError } from './errors.js';
import type { EventOutcome } from './event-retries.js';
import { metadataProblem } from './record-builder.js';

type Metadata = Record<string, string>;

/**
 * `metadata` with the span's trace context, when it fits METADATA_LIMITS. The propagator's fields the metadata
 * already had (passed on from another message: `ctx.getMetadata()` forwarded) are dropped either way: a stale
 * `tracestate` beside the new `traceparent`, or a stale `traceparent` alone, would put the receiver in another trace.
 */
export function withTraceContext(span: MessagingSpan, metadata: Metadata | undefined): Metadata | undefined {
  const carrier = span.carrier();
  const api = otelApi();
  if (Object.keys(carrier).length === 0 || !api) return metadata;
  const own = { ...metadata };
  for (const field of propagationFields(api)) delete own[field];
  const merged = { ...own, ...carrier };
  return metadataProblem(merged) === undefined ? merged : own;
}

/** The `error.type` of a final reply packet: a fixed name, never the error's text. */
function errorTypeOf(packet: WritePacket | undefined): string | undefined {
  if (!packet?.err) return undefined;
  return packet.err instanceof RequestTimeoutError ? 'timeout' : 'error';
}

/** One `send` or `emit` of a client: its producer span and, for a call, the round trip. */
export class OutgoingTrace {
  private readonly startedAt = performance.now();
  private finished = false;

  private constructor(
    readonly span: MessagingSpan,
    private readonly destination: string,
  ) {}

  static start(enabled: boolean, destination: string, id: string, pattern: string): OutgoingTrace {
    const span = enabled
      ? startMessagingSpan({
          operation: 'send',
          type: 'send',
          destination,
          messageId: id,
          attributes: { 'kinesis.pattern': cutForAttribute(pattern) },
        })
      : NO_SPAN;
    return new OutgoingTrace(span, destination);
  }

  /** The put settled: the send span ends (with the shard the record went to). */
  sent(shardId: string | undefined, error?: unknown): void {
    if (shardId) this.span.setAttributes({ 'messaging.destination.partition.id': shardId });
    if (error !== undefined) this.span.fail('send_failed');
    this.span.end();
  }

  /** A call's final packet (reply, error, timeout, close) or its teardown: the round trip is recorded once. */
  callEnded(packet?: WritePacket): void {
    if (this.finished || this.span === NO_SPAN) return;
    this.finished = true;
    const errorType = errorTypeOf(packet) ?? (packet ? undefined : 'cancelled');
    const attributes = messagingAttributes(
      this.destination,
      'send',
      errorType ? { 'error.type': errorType } : {},
    );
    instruments()?.callDuration.record(secondsSince(this.startedAt), attributes);
  }

  /** The span of a reply's handling: child of the server's reply span when that is in this call's trace. */
  replySpan(resStream: string, id: string, metadata: Metadata | undefined): MessagingSpan {
    if (this.span === NO_SPAN) return NO_SPAN;
    return startMessagingSpan({
      operation: 'process',
      type: 'process',
      destination: resStream,
      messageId: id,
      parent: this.span,
      // The res stream is writable by others: a reply's context counts only inside the call's own trace.
      remoteParent: metadata,
      remoteParentTraceId: this.span.traceId ?? '',
    });
  }
}

/** One act-stream record served by the native server: its process span and the handler's duration. */
export class ProcessTrace {
  private readonly startedAt = performance.now();
  private finished = false;

  private constructor(
    readonly span: MessagingSpan,
    private readonly destination: string,
  ) {}

  static start(
    enabled: boolean,
    o: { destination: string; id: string; shardId: string; pattern: string; metadata?: Metadata },
  ): ProcessTrace {
    const span = enabled
      ? startMessagingSpan({
          operation: 'process',
          type: 'process',
          destination: o.destination,
          messageId: o.id,
          shardId: o.shardId,
          remoteParent: o.metadata,
          attributes: { 'kinesis.pattern': cutForAttribute(o.pattern) },
        })
      : NO_SPAN;
    return new ProcessTrace(span, o.destination);
  }

  /**
   * A record of a `streams` entry (another producer's stream), one span across its attempts. Its trace context
   * is taken only from a record that is a transport envelope (ours: what a ClientKinesis writes), never sniffed
   * from anything else.
   */
  static forStreamRecord(
    enabled: boolean,
    o: { stream: string; pattern: string; shardId: string; record: KinesisRecord },
  ): ProcessTrace {
    const { sequenceNumber, subSequenceNumber, data } = o.record;
    return ProcessTrace.start(enabled, {
      destination: o.stream,
      id: `${o.shardId}/${sequenceNumber}/${subSequenceNumber}`, // as KinesisContext.getId()
      shardId: o.shardId,
      pattern: o.pattern,
      metadata: enabled && otelApi() ? envelopeTraceCarrier(data) : undefined,
    });
  }

  /** An event's attempts are over: its outcome (retried, dead-lettered, abandoned) and the pattern it decoded to. */
  eventDone(outcome: EventOutcome, pattern: string): void {
    this.span.setAttributes({ 'kinesis.pattern': cutForAttribute(pattern) });
    this.handled(outcome ? outcome.replace('-', '_') : undefined);
  }

  /** A reply's producer span (child of this one) and its metadata carrying the span's context. */
  reply(resStream: string, id: string, metadata: Metadata | undefined) {
    if (this.span === NO_SPAN) return { span: NO_SPAN, metadata };
    const span = startMessagingSpan({
      operation: 'send',
      type: 'send',
      destination: resStream,
      messageId: id,
      parent: this.span,
    });
    return { span, metadata: withTraceContext(span, metadata) };
  }

  /** The handler finished (`errorType`: a fixed name when it failed): its duration is recorded once. */
  handled(errorType?: string): void {
    if (this.finished || this.span === NO_SPAN) return;
    this.finished = true;
    if (errorType) this.span.fail(errorType);
    const attributes = messagingAttributes(
      this.destination,
      'process',
      errorType ? { 'error.type': errorType } : {},
    );
    instruments()?.processDuration.record(secondsSince(this.startedAt), attributes);
  }

  end(): void {
    this.span.end();
  }
}
