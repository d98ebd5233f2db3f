/** Emitter batches as the pipeline hands them over, for the emitter suites. */
import type { KinesisRecord } from '../../libs/kinesis/src/index.js';
import type { BufferedItem, EmitBatch } from '../../libs/connector/src/interfaces.js';

export const jsonBytes = (model: unknown): Buffer => Buffer.from(JSON.stringify(model));

export interface ItemPosition {
  sequenceNumber: string;
  subSequenceNumber?: number;
  partitionKey?: string;
  /** The model's position among its record's models (default 0). */
  modelIndex?: number;
}

/** One buffered model with the record it came from (its data: the model's bytes). */
export function bufferedItem<T>(
  model: T,
  { sequenceNumber, subSequenceNumber = 0, partitionKey = 'pk', modelIndex = 0 }: ItemPosition,
  toBytes: (model: T) => Buffer = jsonBytes,
): BufferedItem<T> {
  const record: KinesisRecord = {
    data: toBytes(model),
    partitionKey,
    sequenceNumber,
    subSequenceNumber,
    aggregated: subSequenceNumber > 0,
    approximateArrivalTimestamp: new Date(),
  };
  return { model, record, modelIndex, bytes: record.data.length };
}

/** The batch of `items` (in order), from the first record's sequence number to the last one's. */
export function emitBatch<T>(
  items: BufferedItem<T>[],
  {
    streamName = 'orders',
    shardId = 'shardId-000000000000',
    toBytes = jsonBytes,
  }: { streamName?: string; shardId?: string; toBytes?: (model: T) => Buffer } = {},
): EmitBatch<T> {
  return {
    streamName,
    shardId,
    items,
    firstSequenceNumber: items[0].record.sequenceNumber,
    lastSequenceNumber: items[items.length - 1].record.sequenceNumber,
    toBytes,
  };
}
