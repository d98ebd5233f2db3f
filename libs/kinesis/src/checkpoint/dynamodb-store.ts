import {
  CreateTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../backoff.js';
import type { Checkpoint, CheckpointStore } from '../types.js';
import { assertValidCheckpoint } from './validate.js';

export interface DynamoDBCheckpointStoreOptions {
  client: DynamoDBClient;
  /**
   * The table, or how to name it per stream. Default: `${app}-${streamName}`. A fixed name holds one
   * stream only (items are keyed by shard id, as in the KCL's lease table).
   */
  tableName?: string | ((streamName: string) => string);
  /** Needed for the default table name. */
  app?: string;
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
    app,
    createTable = true,
    tableActiveTimeoutMs = 60_000,
  }: DynamoDBCheckpointStoreOptions) {
    if (tableName === undefined && !app) {
      throw new TypeError('DynamoDBCheckpointStore: give `tableName` or `app`');
    }
    this.client = client;
    this.fixedTableName = typeof tableName === 'string' ? tableName : undefined;
    this.tableNameOf =
      typeof tableName === 'function'
        ? tableName
        : typeof tableName === 'string'
          ? () => tableName
          : (streamName) => `${app}-${streamName}`;
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
        throw new Error(
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

  private async ensureTable(tableName: string): Promise<void> {
    if ((await this.tableStatus(tableName)) === undefined) {
      try {
        await this.client.send(
          new CreateTableCommand({
            TableName: tableName,
            AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      } catch (error) {
        // Another store (here or in another process) created it first: wait for it like for ours.
        if ((error as Error).name !== 'ResourceInUseException') throw error;
      }
    }
    const deadline = Date.now() + this.tableActiveTimeoutMs;
    for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
      const status = await this.tableStatus(tableName);
      if (status === 'ACTIVE' || status === 'UPDATING') return; // UPDATING tables serve reads and writes
      if (Date.now() >= deadline) {
        throw new Error(
          `DynamoDB table "${tableName}" is not ACTIVE after ${this.tableActiveTimeoutMs} ms (status: ${status ?? 'missing'})`,
        );
      }
      await sleep(delay);
    }
  }

  private async tableStatus(tableName: string): Promise<string | undefined> {
    try {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
      return Table?.TableStatus ?? 'UNKNOWN';
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }
}
