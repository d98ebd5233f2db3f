import { createServer, type Server, type Socket } from 'node:net';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { createKinesisClient, resolveEndpoint, resolveRegion } from './client.js';

/** A TCP server that accepts connections and reads requests but never answers. */
async function swallowingServer(): Promise<{
  endpoint: string;
  requests: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => (requests += chunk.toString().match(/^POST /gm)?.length ?? 0));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('createKinesisClient', () => {
  const saved = { ...process.env };
  const cleanUp: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    process.env = { ...saved };
    await Promise.all(cleanUp.splice(0).map((close) => close()));
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

  it('keeps the SDK default (HTTP/2) handler for AWS itself, with the request timeout', async () => {
    delete process.env.KINESIS_ENDPOINT;
    const client = createKinesisClient({ region: 'us-east-1' });
    expect(client.config.requestHandler).toBeInstanceOf(NodeHttp2Handler);
    const config = await (client.config.requestHandler as unknown as { configProvider: Promise<object> })
      .configProvider;
    expect(config).toMatchObject({ requestTimeout: 30_000, disableConcurrentStreams: true });
    const untimed = createKinesisClient({ region: 'us-east-1', requestTimeoutMs: 0 });
    const off = await (untimed.config.requestHandler as unknown as { configProvider: Promise<object> })
      .configProvider;
    expect(off).toMatchObject({ requestTimeout: undefined });
  });

  it('fails a request that gets no answer with a retryable TimeoutError instead of waiting forever', async () => {
    const server = await swallowingServer();
    cleanUp.push(() => server.close());
    const client = createKinesisClient({
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestTimeoutMs: 300,
      clientConfig: { maxAttempts: 2 },
    });
    cleanUp.push(async () => client.destroy());
    const error = await client.send(new ListStreamsCommand({})).then(
      () => undefined,
      (e: unknown) => e as Error & { $metadata?: { attempts?: number } },
    );
    expect(error?.name).toBe('TimeoutError');
    expect(error?.$metadata?.attempts).toBe(2); // the SDK retried it: a transient error, not a hang
    expect(server.requests()).toBe(2);
  });

  it('refuses a negative or fractional timeout', () => {
    expect(() => createKinesisClient({ endpoint: 'http://h:1', requestTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => createKinesisClient({ endpoint: 'http://h:1', connectionTimeoutMs: 1.5 })).toThrow(
      RangeError,
    );
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
