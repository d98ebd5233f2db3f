import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { dynamoClient, KINESIS_EMULATORS, kinesisClient, s3Client, uniqueName } from './support/harness.js';

describe('test harness', () => {
  it.each(KINESIS_EMULATORS)('%s answers on loopback', async (emulator) => {
    const out = await kinesisClient(emulator).send(new ListStreamsCommand({}));
    expect(Array.isArray(out.StreamNames)).toBe(true);
  });
  it('dynalite and s3rver answer', async () => {
    expect((await dynamoClient().send(new ListTablesCommand({}))).TableNames).toBeDefined();
    expect((await s3Client().send(new ListBucketsCommand({}))).Buckets).toBeDefined();
  });
  it('unique names differ', () => {
    expect(uniqueName('s')).not.toEqual(uniqueName('s'));
  });
});
