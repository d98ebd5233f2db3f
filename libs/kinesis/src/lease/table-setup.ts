import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureActive } from '../ensure-active.js';
import { LEASE_KEY } from './lease.js';
import { KinesisError } from '../errors.js';

/** How long a new lease table may take to become ACTIVE by default, ms (leases and DynamoDBCheckpointStore). */
export const TABLE_ACTIVE_TIMEOUT_MS = 60_000;

/** The table name DynamoDBCheckpointStore uses by default, so leases and a plain checkpoint store agree. */
export function leaseTableName(appName: string, streamName: string): string {
  return `${appName}-${streamName}`;
}

/**
 * Creates the lease table when missing (hash key `leaseKey`, on-demand, as the KCL and DynamoDBCheckpointStore
 * do) and waits until it serves requests. Several workers may race to create it: the losers wait too.
 */
export async function ensureLeaseTable(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = TABLE_ACTIVE_TIMEOUT_MS,
): Promise<void> {
  await ensureActive(
    {
      // The status is all this needs of the description.
      describe: async () => {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
        return Table?.TableStatus ?? 'UNKNOWN';
      },
      // By name, not instanceof: errors from another copy of the SDK (or a test's fault injection) count too.
      isMissing: (error) => (error as Error)?.name === 'ResourceNotFoundException',
      statusOf: (status) => status,
      create: () =>
        client.send(
          new CreateTableCommand({
            TableName: tableName,
            AttributeDefinitions: [{ AttributeName: LEASE_KEY, AttributeType: 'S' }],
            KeySchema: [{ AttributeName: LEASE_KEY, KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        ),
      isAlreadyCreated: (error) => (error as Error)?.name === 'ResourceInUseException',
    },
    {
      timeoutMs,
      delayMs: (attempt) => Math.min(50 * 2 ** attempt, 1_000),
      timeoutError: (status) =>
        new KinesisError(
          `DynamoDB table "${tableName}" is not ACTIVE after ${timeoutMs} ms (status: ${status ?? 'missing'})`,
        ),
    },
  );
}
