/** What a Producer reports to OpenTelemetry (no-ops without it): records and bytes put, throttles, retries. */
import { instruments, messagingAttributes } from '../telemetry/index.js';
import type { Entry } from './entry.js';

const THROTTLING_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'KMSThrottlingException',
  'LimitExceededException',
]);

/** One PutRecords call settled: the entries stored, failures by error code (throttles among them), retries. */
export function reportPutOutcome(
  streamName: string,
  outcome: { stored: Entry[]; failures: Record<string, number>; retried: number },
): void {
  const metrics = instruments();
  if (!metrics) return;
  const attributes = messagingAttributes(streamName, 'send');
  let records = 0;
  let bytes = 0;
  for (const entry of outcome.stored) {
    records += entry.puts.length; // an aggregate is one Kinesis record holding several user records
    bytes += entry.data.length;
  }
  if (records > 0) metrics.sentMessages.add(records, attributes);
  if (bytes > 0) metrics.sentBytes.add(bytes, attributes);
  let throttled = 0;
  for (const [code, count] of Object.entries(outcome.failures))
    if (THROTTLING_CODES.has(code)) throttled += count;
  if (throttled > 0) metrics.throttles.add(throttled, attributes);
  if (outcome.retried > 0) metrics.retries.add(outcome.retried, attributes);
}
