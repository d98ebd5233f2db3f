import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../backoff.js';
import { LEASE_KEY } from './lease.js';

/** The table name DynamoDBCheckpointStore uses by default, so leases and a plain checkpoint store agree. */
export function leaseTableName(appName: string, streamName: string): string {
  return `${appName}-${streamName}`;
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus ?? 'UNKNOWN';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/**
 * Creates the lease table when missing (hash key `leaseKey`, on-demand, as the KCL and DynamoDBCheckpointStore
 * do) and waits until it serves requests. Several workers may race to create it: the losers wait too.
 */
export async function ensureLeaseTable(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
): Promise<void> {
  if ((await tableStatus(client, tableName)) === undefined) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [{ AttributeName: LEASE_KEY, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: LEASE_KEY, KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
    const status = await tableStatus(client, tableName);
    if (status === 'ACTIVE' || status === 'UPDATING') return; // UPDATING tables serve reads and writes
    if (Date.now() >= deadline) {
      throw new Error(
        `DynamoDB table "${tableName}" is not ACTIVE after ${timeoutMs} ms (status: ${status ?? 'missing'})`,
      );
    }
    await sleep(delay);
  }
}
