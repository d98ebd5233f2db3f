import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createKinesisClient, resolveEndpoint, resolveRegion } from './client.js';

describe('createKinesisClient', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('takes the region from the option, then AWS_KINESIS_REGION, then AWS_REGION, else us-east-1', async () => {
    expect(resolveRegion('eu-west-1', { AWS_KINESIS_REGION: 'ap-south-1', AWS_REGION: 'us-west-2' })).toBe(
      'eu-west-1',
    );
    expect(resolveRegion(undefined, { AWS_KINESIS_REGION: 'ap-south-1', AWS_REGION: 'us-west-2' })).toBe(
      'ap-south-1',
    );
    expect(resolveRegion(undefined, { AWS_REGION: 'us-west-2' })).toBe('us-west-2');
    expect(resolveRegion(undefined, {})).toBe('us-east-1');
    process.env.AWS_KINESIS_REGION = 'eu-central-1';
    expect(await createKinesisClient().config.region()).toBe('eu-central-1');
    expect(await createKinesisClient({ region: 'sa-east-1' }).config.region()).toBe('sa-east-1');
  });

  it('takes the endpoint from the option or KINESIS_ENDPOINT, with the HTTP/1.1 handler', async () => {
    expect(resolveEndpoint(undefined, { KINESIS_ENDPOINT: 'http://127.0.0.1:4567' })).toBe(
      'http://127.0.0.1:4567',
    );
    expect(resolveEndpoint('http://h:1', { KINESIS_ENDPOINT: 'http://127.0.0.1:4567' })).toBe('http://h:1');
    process.env.KINESIS_ENDPOINT = 'http://127.0.0.1:4567';
    const client = createKinesisClient();
    const endpoint = await client.config.endpoint!();
    expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:4567');
    expect(client.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
  });

  it('keeps the SDK default (HTTP/2) handler for AWS itself', () => {
    delete process.env.KINESIS_ENDPOINT;
    const client = createKinesisClient({ region: 'us-east-1' });
    expect(client.config.requestHandler).not.toBeInstanceOf(NodeHttpHandler);
  });

  it('uses the default credentials provider chain unless credentials are given', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'from-env';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const chain = await createKinesisClient().config.credentials();
    expect(chain.accessKeyId).toBe('from-env');
    const given = await createKinesisClient({
      credentials: { accessKeyId: 'given', secretAccessKey: 's' },
    }).config.credentials();
    expect(given.accessKeyId).toBe('given');
  });
});
