/**
 * The per-record steps of a pipeline (toModels, filter.keep, toBytes), each guarded: whatever one record's
 * content makes a step throw dead-letters that record (or that model) with its stage, and the rest goes on.
 * No record content may stop a shard or let a checkpoint pass a record that was not stored.
 */
import type { Buffer as Bytes } from 'node:buffer';
import type { KinesisRecord } from '../../kinesis/src/index.js';
import type {
  BufferedItem,
  DeadLetterEntry,
  DeadLetterStage,
  FailedItem,
  Filter,
  Transformer,
} from './interfaces.js';

/** Longest reason kept in a dead-letter entry (an error message may be as large as the record). */
export const MAX_DEAD_LETTER_ERROR_CHARS = 2_000;

/** What one record became: items to buffer, entries to dead-letter, and counts for the observer. */
export interface TakenRecord<T> {
  items: BufferedItem<T>[];
  /** toBytes of each item (same order), computed once: emitters ask again through the batch's toBytes. */
  encoded: Bytes[];
  dead: DeadLetterEntry[];
  /** Models the filter dropped. */
  filtered: number;
  /** True for a record that carries no model (e.g. a JSON `[]`): checkpointed past, counted as empty. */
  empty: boolean;
}

export interface StepContext<T> {
  streamName: string;
  shardId: string;
  transformer: Transformer<T>;
  filter: Filter<T>;
}

/** Runs toModels, then filter.keep and toBytes for each model; never throws for a record's content. */
export function takeRecord<T>(record: KinesisRecord, context: StepContext<T>): TakenRecord<T> {
  const taken: TakenRecord<T> = { items: [], encoded: [], dead: [], filtered: 0, empty: false };
  const fail = (stage: DeadLetterStage, error: unknown, modelIndex?: number) =>
    taken.dead.push(deadLetterEntry(context, record, stage, error, modelIndex));
  let models: T[];
  try {
    const out = context.transformer.toModels(record);
    models = Array.isArray(out) ? [...out] : [out];
  } catch (error) {
    fail('transform', error);
    return taken;
  }
  taken.empty = models.length === 0;
  models.forEach((model, modelIndex) => {
    try {
      if (!context.filter.keep(model)) return void taken.filtered++;
    } catch (error) {
      return void fail('filter', error, modelIndex);
    }
    try {
      const bytes = context.transformer.toBytes(model);
      if (!(bytes instanceof Uint8Array)) throw new TypeError(`toBytes returned ${typeof bytes}, not bytes`);
      taken.items.push({ model, record, modelIndex, bytes: bytes.length });
      taken.encoded.push(bytes as Bytes);
    } catch (error) {
      fail('encode', error, modelIndex);
    }
  });
  return taken;
}

export function deadLetterEntry(
  where: { streamName: string; shardId: string },
  record: KinesisRecord,
  stage: DeadLetterStage,
  error: unknown,
  modelIndex?: number,
): DeadLetterEntry {
  return {
    streamName: where.streamName,
    shardId: where.shardId,
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    partitionKey: record.partitionKey,
    data: record.data.toString('base64'),
    stage,
    ...(modelIndex === undefined ? {} : { modelIndex }),
    error: reasonOf(error),
    at: new Date().toISOString(),
  };
}

/** An error's message (or the thrown value's text), cut; never throws (a thrown value may have no toString). */
export function reasonOf(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? error.message : String(error);
  } catch {
    text = `<thrown ${typeof error}>`;
  }
  return text.length > MAX_DEAD_LETTER_ERROR_CHARS
    ? `${text.slice(0, MAX_DEAD_LETTER_ERROR_CHARS)}...(${text.length} chars)`
    : text;
}

/** Identifies an item within a batch: its record's position and its model index. */
export function itemPosition(item: BufferedItem<unknown>): string {
  return `${item.record.sequenceNumber}/${item.record.subSequenceNumber}/${item.modelIndex}`;
}

/** The emitter's failed items that are items of `pending` (matched by position), each once. */
export function ownFailures<T>(pending: BufferedItem<T>[], returned: FailedItem<T>[]): FailedItem<T>[] {
  const byPosition = new Map(pending.map((item) => [itemPosition(item), item]));
  const failed: FailedItem<T>[] = [];
  for (const entry of returned) {
    const item = entry?.item?.record ? byPosition.get(itemPosition(entry.item)) : undefined;
    if (!item) continue;
    byPosition.delete(itemPosition(item));
    failed.push({ item, error: reasonOf(entry.error) });
  }
  return failed;
}

/** True once `work` settled; false as soon as `signal` aborts first. */
export function settledUnlessAborted(work: Promise<void>, signal: AbortSignal | undefined): Promise<boolean> {
  if (!signal) return work.then(() => true);
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
}
