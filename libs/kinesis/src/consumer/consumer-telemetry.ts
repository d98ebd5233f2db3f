/** What shard readers report to OpenTelemetry (no-ops without it): records and bytes read. */
import { instruments, messagingAttributes } from '../telemetry/index.js';
import type { KinesisRecord } from '../types.js';

export function reportRecordsRead(records: readonly KinesisRecord[], streamName: string): void {
  const metrics = instruments();
  if (!metrics || records.length === 0) return;
  const attributes = messagingAttributes(streamName, 'receive');
  let bytes = 0;
  for (const record of records) bytes += record.data.length;
  metrics.consumedMessages.add(records.length, attributes);
  metrics.consumedBytes.add(bytes, attributes);
}
