import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureLeaseTable, leaseTableName, TABLE_ACTIVE_TIMEOUT_MS } from '../lease/table-setup.js';
import type { Checkpoint, CheckpointStore } from '../types.js';
import { assertValidCheckpoint } from '../checkpoint-rules.js';
import { KinesisError } from '../errors.js';

export interface DynamoDBCheckpointStoreOptions {
  client: DynamoDBClient;
  /**
   * The table, or how to name it per stream. Default: `${appName}-${streamName}` (leases' table name, so
   * both agree). A fixed name holds one stream only (items are keyed by shard id, as in the KCL's lease table).
   */
  tableName?: string | ((streamName: string) => string);
  /** The application's name: needed for the default table name. */
  appName?: string;
  /** Create a missing table (PAY_PER_REQUEST, hash key `leaseKey`) and wait for it. Default: true. */
  createTable?: boolean;
  /** How long to wait for a table to become ACTIVE. Default: 60 s. */
  tableActiveTimeoutMs?: number;
}

/**
 * Checkpoints in a KCL-style lease table: one item per shard with `leaseKey` (the shard id),
 * `checkpoint` (sequence number or SHARD_END) and `checkpointSubSequenceNumber`. Writes SET only those
 * two attributes, so lease fields written by other code (leaseOwner, leaseCounter, ...) are kept.
 */
export class DynamoDBCheckpointStore implements CheckpointStore {
  private readonly client: DynamoDBClient;
  private readonly tableNameOf: (streamName: string) => string;
  private readonly fixedTableName: string | undefined;
  private fixedTableStream: string | undefined;
  private readonly createTable: boolean;
  private readonly tableActiveTimeoutMs: number;
  /** One creation attempt per table at a time; forgotten on failure so a later call tries again. */
  private readonly tables = new Map<string, Promise<void>>();

  constructor({
    client,
    tableName,
    appName,
    createTable = true,
    tableActiveTimeoutMs = TABLE_ACTIVE_TIMEOUT_MS,
  }: DynamoDBCheckpointStoreOptions) {
    if (tableName === undefined && !appName) {
      throw new TypeError('DynamoDBCheckpointStore: give `tableName` or `appName`');
    }
    this.client = client;
    this.fixedTableName = typeof tableName === 'string' ? tableName : undefined;
    this.tableNameOf =
      typeof tableName === 'function'
        ? tableName
        : typeof tableName === 'string'
          ? () => tableName
          : (streamName) => leaseTableName(appName!, streamName);
    this.createTable = createTable;
    this.tableActiveTimeoutMs = tableActiveTimeoutMs;
  }

  async get(streamName: string, shardId: string): Promise<Checkpoint | undefined> {
    const tableName = await this.table(streamName);
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { leaseKey: { S: shardId } },
        ConsistentRead: true,
        ProjectionExpression: '#c, #s',
        ExpressionAttributeNames: { '#c': 'checkpoint', '#s': 'checkpointSubSequenceNumber' },
      }),
    );
    const sequenceNumber = Item?.checkpoint?.S;
    if (sequenceNumber === undefined) return undefined;
    const sub = Item?.checkpointSubSequenceNumber?.N;
    return { sequenceNumber, subSequenceNumber: sub === undefined ? 0 : Number(sub) };
  }

  async set(streamName: string, shardId: string, checkpoint: Checkpoint): Promise<void> {
    assertValidCheckpoint(shardId, checkpoint);
    const tableName = await this.table(streamName);
    await this.client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { leaseKey: { S: shardId } },
        UpdateExpression: 'SET #c = :c, #s = :s',
        ExpressionAttributeNames: { '#c': 'checkpoint', '#s': 'checkpointSubSequenceNumber' },
        ExpressionAttributeValues: {
          ':c': { S: checkpoint.sequenceNumber },
          ':s': { N: String(checkpoint.subSequenceNumber) },
        },
      }),
    );
  }

  /** The client was passed in: its owner destroys it. */
  async close(): Promise<void> {}

  private async table(streamName: string): Promise<string> {
    if (this.fixedTableName !== undefined) {
      // Shard ids repeat across streams: two streams in one table would overwrite each other's items.
      this.fixedTableStream ??= streamName;
      if (this.fixedTableStream !== streamName) {
        throw new KinesisError(
          `DynamoDBCheckpointStore: table "${this.fixedTableName}" already holds stream "${this.fixedTableStream}"; ` +
            `use a tableName function to keep "${streamName}" in its own table`,
        );
      }
    }
    const tableName = this.tableNameOf(streamName);
    if (!this.createTable) return tableName;
    let ready = this.tables.get(tableName);
    if (!ready) {
      ready = this.ensureTable(tableName);
      this.tables.set(tableName, ready);
      ready.catch(() => this.tables.delete(tableName));
    }
    await ready;
    return tableName;
  }

  private ensureTable(tableName: string): Promise<void> {
    return ensureLeaseTable(this.client, tableName, this.tableActiveTimeoutMs); // the lease table's schema
  }
}
