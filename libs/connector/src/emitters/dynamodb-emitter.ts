import {
  BatchWriteItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { backoffDelay, KinesisError, sleep, type BackoffOptions } from '../../../kinesis/src/index.js';
import type { BatchContext, BufferedItem, EmitBatch, Emitter, FailedItem } from '../interfaces.js';
import { provenanceKey } from '../provenance.js';

/** BatchWriteItem's limit of requests per call. */
export const MAX_BATCH_WRITE_ITEMS = 25;

/**
 * Errors about an item, not the table: a malformed or oversize item (ValidationException), an item collection
 * (one partition key of a table with a local index) past 10 GB. They refuse a whole BatchWriteItem call, so the
 * chunk is put item by item and only the items they are about fail.
 */
const ITEM_LEVEL_ERRORS = new Set(['ValidationException', 'ItemCollectionSizeLimitExceededException']);

/**
 * ValidationException messages about the item's key against the table's key schema (AWS and dynalite). A table
 * keyed otherwise than what `toItem` produces refuses every item this way, so they count as the destination's
 * until this emitter has stored an item: after that the table takes the items' shape and such an error is
 * that one record's.
 */
const KEY_SCHEMA_MESSAGES = [
  /Missing the key \S+ in the item/i,
  /Type mismatch for key/i,
  /The provided key element does not match the schema/i,
  /One of the required keys was not given a value/i,
];

/** DynamoDB left items unprocessed (throttling, busy partitions) through every attempt: an outage, retried whole. */
export class DynamoDBUnprocessedError extends KinesisError {
  constructor(
    readonly table: string,
    readonly unprocessed: number,
    attempts: number,
  ) {
    super(`${unprocessed} item(s) still unprocessed by ${table} after ${attempts} BatchWriteItem attempts`);
  }
}

/** Every item was refused for its key and none was ever stored: the table's key schema does not fit `toItem`. */
export class DynamoDBKeySchemaError extends KinesisError {
  constructor(
    readonly table: string,
    detail: string,
  ) {
    super(`table ${table} refuses the items' key (key schema does not match toItem?): ${detail}`);
  }
}

/** The defaults of DynamoDBEmitterOptions. */
export const DYNAMODB_EMITTER_DEFAULTS = Object.freeze({
  maxAttempts: 5,
  backoff: Object.freeze({ baseMs: 50, maxMs: 2_000 }),
});

export interface DynamoDBEmitterOptions<T> {
  /** The caller's client: the emitter never destroys it. */
  client: DynamoDBClient;
  table: string;
  /**
   * The item to put, key included, given the item and its batch (stream, shard, sequence range, toBytes). A put
   * replaces any item with the same key, so a key derived from the source record and the model's index in it
   * (`provenanceKey(batch.shardId, item)`: `shardId:sequenceNumber:subSequenceNumber[:modelIndex]`) makes a
   * replayed batch write the same items again: effectively once. Leaving out `modelIndex` keeps one element of
   * a JSON array record. A key from the model (an order id) keeps its last write. A throw here fails that item
   * only. Default `provenanceItem`.
   */
  toItem?: (item: BufferedItem<T>, batch: BatchContext<T>) => Record<string, AttributeValue>;
  /** BatchWriteItem calls per chunk of 25 while items come back unprocessed, the first included (default 5). */
  maxAttempts?: number;
  /** Delay between those calls: exponential with jitter (defaults 50 ms, 2 s). */
  backoff?: BackoffOptions;
}

/**
 * The default item: `id` (S, the hash key) = provenanceKey, so a replayed batch overwrites its items, and each
 * model of a record holding a JSON array gets its own item; `shardId`, `sequenceNumber`, and `data` (S) = the
 * model's bytes (toBytes) as UTF-8.
 */
export function provenanceItem<T>(
  item: BufferedItem<T>,
  batch: BatchContext<T>,
): Record<string, AttributeValue> {
  return {
    id: { S: provenanceKey(batch.shardId, item) },
    shardId: { S: batch.shardId },
    sequenceNumber: { S: item.record.sequenceNumber },
    data: { S: batch.toBytes(item.model).toString('utf8') },
  };
}

interface Put<T> {
  item: BufferedItem<T>;
  attributes: Record<string, AttributeValue>;
}

/**
 * Puts each batch with BatchWriteItem, 25 items a call.
 *
 * - UnprocessedItems (throttling, partitions busy) are sent again with backoff, up to `maxAttempts` calls;
 *   if some are still unprocessed then, DynamoDBUnprocessedError is thrown: the destination is unavailable
 *   and the pipeline retries the batch until it is stored, checkpointing nothing meanwhile.
 * - A ValidationException (an item over 400 KB, a missing or mistyped key, a malformed value, duplicate keys
 *   in the call) or an ItemCollectionSizeLimitExceededException refuses a whole call for one item: that chunk
 *   is put again item by item, so only those items fail (record-level: dead-lettered). Except key errors
 *   before this emitter ever stored an item: the table's key schema does not fit `toItem`, so
 *   DynamoDBKeySchemaError is thrown (destination-level) rather than dead-lettering the whole stream.
 * - Anything else (a missing table, access denied, network errors, throttling the SDK's retries did not
 *   absorb) is thrown: the destination is unavailable and the batch is retried as a whole.
 */
export class DynamoDBEmitter<T> implements Emitter<T> {
  private readonly maxAttempts: number;
  private readonly backoff: BackoffOptions;
  /** Whether any item was ever stored: until then, key errors are the table's (see KEY_SCHEMA_MESSAGES). */
  private storedOnce = false;
  private readonly toItem: NonNullable<DynamoDBEmitterOptions<T>['toItem']>;

  constructor(private readonly options: DynamoDBEmitterOptions<T>) {
    if (!options.table) throw new TypeError('DynamoDBEmitter: table is required');
    this.maxAttempts = options.maxAttempts ?? DYNAMODB_EMITTER_DEFAULTS.maxAttempts;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError(`DynamoDBEmitter: maxAttempts must be an integer >= 1, got ${this.maxAttempts}`);
    }
    this.backoff = { ...DYNAMODB_EMITTER_DEFAULTS.backoff, ...options.backoff };
    this.toItem = options.toItem ?? provenanceItem;
  }

  async emit(batch: EmitBatch<T>): Promise<FailedItem<T>[]> {
    const failed: FailedItem<T>[] = [];
    const puts: Put<T>[] = [];
    for (const item of batch.items) {
      try {
        puts.push({ item, attributes: this.toItem(item, batch) });
      } catch (error) {
        failed.push({ item, error: `toItem: ${message(error)}` });
      }
    }
    const keyErrors: FailedItem<T>[] = [];
    for (let i = 0; i < puts.length; i += MAX_BATCH_WRITE_ITEMS) {
      await this.writeChunk(puts.slice(i, i + MAX_BATCH_WRITE_ITEMS), failed, keyErrors);
    }
    if (keyErrors.length > 0 && !this.storedOnce) {
      throw new DynamoDBKeySchemaError(this.options.table, keyErrors[0].error);
    }
    return failed;
  }

  /** The client is the caller's. */
  async shutdown(): Promise<void> {}

  private async writeChunk(
    chunk: Put<T>[],
    failed: FailedItem<T>[],
    keyErrors: FailedItem<T>[],
  ): Promise<void> {
    const { client, table } = this.options;
    let pending = chunk;
    for (let attempt = 1; ; attempt++) {
      let unprocessed: WriteRequest[];
      try {
        const output = await client.send(
          new BatchWriteItemCommand({
            RequestItems: { [table]: pending.map((p) => ({ PutRequest: { Item: p.attributes } })) },
          }),
        );
        unprocessed = output.UnprocessedItems?.[table] ?? [];
      } catch (error) {
        if (!ITEM_LEVEL_ERRORS.has(errorName(error) ?? '')) throw error;
        return this.putOneByOne(pending, failed, keyErrors);
      }
      if (unprocessed.length < pending.length) this.storedOnce = true;
      if (unprocessed.length === 0) return;
      pending = stillPending(pending, unprocessed);
      // Throttling answered as a success: the destination's, never the items' (no dead letters, no checkpoint).
      if (attempt >= this.maxAttempts) throw new DynamoDBUnprocessedError(table, pending.length, attempt);
      await sleep(backoffDelay(attempt, this.backoff));
    }
  }

  /** Isolates the items a ValidationException is about; any other error still means unavailable. */
  private async putOneByOne(
    puts: Put<T>[],
    failed: FailedItem<T>[],
    keyErrors: FailedItem<T>[],
  ): Promise<void> {
    for (const { item, attributes } of puts) {
      try {
        await this.options.client.send(
          new PutItemCommand({ TableName: this.options.table, Item: attributes }),
        );
        this.storedOnce = true;
      } catch (error) {
        if (!ITEM_LEVEL_ERRORS.has(errorName(error) ?? '')) throw error;
        const failure = { item, error: `${errorName(error)}: ${message(error)}` };
        failed.push(failure);
        if (KEY_SCHEMA_MESSAGES.some((pattern) => pattern.test(message(error)))) keyErrors.push(failure);
      }
    }
  }
}

/**
 * Maps UnprocessedItems (copies of what was sent) back to our items by content. If one cannot be matched,
 * every pending item is sent again: a put repeated with the same content changes nothing.
 */
function stillPending<T>(pending: Put<T>[], unprocessed: WriteRequest[]): Put<T>[] {
  const byContent = new Map<string, Put<T>[]>();
  for (const put of pending) {
    const key = canonical(put.attributes);
    byContent.set(key, [...(byContent.get(key) ?? []), put]);
  }
  const matched: Put<T>[] = [];
  for (const request of unprocessed) {
    const item = request.PutRequest?.Item;
    const put = item && byContent.get(canonical(item))?.shift();
    if (!put) return pending;
    matched.push(put);
  }
  return matched;
}

/** A stable text for an attribute map: keys sorted, binary as base64, set members sorted. */
export function canonical(value: unknown, isSet = false): string {
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString('base64')}`;
  if (Array.isArray(value)) {
    const members = value.map((v) => canonical(v));
    return `[${(isSet ? members.sort() : members).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v, k === 'SS' || k === 'NS' || k === 'BS')}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | null)?.name;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
