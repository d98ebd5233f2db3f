/**
 * Traces and metrics of a connector's writes (OpenTelemetry; no-ops without an SDK): an `emit <stream>` span per
 * batch written, linked to the producer contexts of its records when they are transport envelopes; the write's
 * duration; records emitted and failed (`kinesis.connector.records`: each record once, by its final outcome), items
 * emitted again (`kinesis.retries`) and entries dead-lettered (`kinesis.dead_letters`).
 */
import {
  envelopeTraceCarrier,
  instruments,
  MAX_SPAN_LINKS,
  messagingAttributes,
  secondsSince,
  startMessagingSpan,
  type MessagingSpan,
} from '../../kinesis/src/telemetry/index.js';
import type { KinesisRecord } from '../../kinesis/src/index.js';

export class BatchWriteTrace {
  private readonly startedAt = performance.now();
  private readonly span: MessagingSpan;

  constructor(
    private readonly streamName: string,
    shardId: string,
    records: Iterable<KinesisRecord>,
    count: number,
  ) {
    this.span = startMessagingSpan({
      operation: 'emit',
      type: 'process',
      destination: streamName,
      shardId,
      attributes: { 'messaging.batch.message_count': count },
      linksFrom: carriers(records),
    });
  }

  /** Items that failed an attempt and are emitted again. */
  retrying(count: number): void {
    if (count > 0) instruments()?.retries.add(count, messagingAttributes(this.streamName, 'emit'));
  }

  /**
   * The batch is stored (`emitted` records; `failed`: given up on after the last attempt; `deadLettered` entries,
   * those and the batch's earlier ones), or not (`errorType`).
   */
  end(outcome: { emitted: number; failed: number; deadLettered: number } | { errorType: string }): void {
    const metrics = instruments();
    let errorType: string | undefined;
    if ('errorType' in outcome) {
      errorType = outcome.errorType;
      this.span.fail(errorType);
    } else {
      this.add('emitted', outcome.emitted);
      this.add('failed', outcome.failed);
      if (outcome.deadLettered > 0)
        metrics?.deadLetters.add(outcome.deadLettered, messagingAttributes(this.streamName, 'emit'));
    }
    const attributes = messagingAttributes(
      this.streamName,
      'emit',
      errorType ? { 'error.type': errorType } : {},
    );
    metrics?.emitDuration.record(secondsSince(this.startedAt), attributes);
    this.span.end();
  }

  private add(outcome: 'emitted' | 'failed', count: number): void {
    if (count === 0) return;
    const attributes = messagingAttributes(this.streamName, 'emit', { 'kinesis.connector.outcome': outcome });
    instruments()?.connectorRecords.add(count, attributes);
  }
}

/** Trace carriers of the first records (one link per producer context; MAX_SPAN_LINKS at most). */
function* carriers(records: Iterable<KinesisRecord>): Generator<Record<string, string> | undefined> {
  let looked = 0;
  for (const record of records) {
    if (looked++ >= MAX_SPAN_LINKS) return;
    yield envelopeTraceCarrier(record.data);
  }
}
