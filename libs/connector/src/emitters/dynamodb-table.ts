/** The table the default DynamoDBEmitter item (`provenanceItem`) needs: hash key `id` (S) alone. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { KinesisError, sleep } from '../../../kinesis/src/index.js';

/** The emitter's table cannot be used: it has another key schema, or it did not become ACTIVE. */
export class DynamoDBTableError extends KinesisError {
  constructor(
    readonly table: string,
    message: string,
  ) {
    super(message);
  }
}

/** How long ensureProvenanceTable waits for a table to become ACTIVE. */
const ACTIVE_WITHIN_MS = 60_000;

/**
 * Creates the table (hash key `id`, on demand) when missing and waits until it is ACTIVE. An existing table with
 * another key schema is refused (every write would fail, item by item, into dead letters): DynamoDBTableError.
 */
export async function ensureProvenanceTable(client: DynamoDBClient, table: string): Promise<void> {
  let description: TableDescription | undefined;
  const status = async () => {
    try {
      description = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
      return description?.TableStatus;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };
  if ((await status()) === undefined) {
    await client
      .send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      )
      .catch((error: Error) => {
        if (error.name !== 'ResourceInUseException') throw error; // created meanwhile
      });
  }
  for (let waited = 0; (await status()) !== 'ACTIVE'; waited += 250) {
    if (waited > ACTIVE_WITHIN_MS) {
      throw new DynamoDBTableError(table, `DynamoDB table ${table} did not become ACTIVE within 60 s`);
    }
    await sleep(250);
  }
  checkKeySchema(table, description);
}

/** The default item is keyed by `id` (a string) alone: any other key schema is a configuration error. */
export function checkKeySchema(table: string, description: TableDescription | undefined): void {
  const keys = description?.KeySchema ?? [];
  const types = new Map(description?.AttributeDefinitions?.map((a) => [a.AttributeName, a.AttributeType]));
  const ok = keys.length === 1 && keys[0].AttributeName === 'id' && keys[0].KeyType === 'HASH';
  if (ok && types.get('id') === 'S') return;
  const found = keys.map((k) => `${k.AttributeName} ${k.KeyType} ${types.get(k.AttributeName!) ?? '?'}`);
  throw new DynamoDBTableError(
    table,
    `DynamoDB table ${table} has key schema (${found.join(', ')}); the DynamoDB emitter's provenance items need ` +
      `the hash key "id" of type S alone: use another table (created when missing) or recreate this one`,
  );
}
