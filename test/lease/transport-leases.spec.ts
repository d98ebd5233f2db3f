/**
 * Two KinesisServer microservices with `leases` (kinesalite + dynalite) share a 4-shard act stream: two leases
 * each, and every request is served by exactly one of them. Without the option passed to the Consumer, both
 * would read every shard and each request would be handled twice.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient as AwsKinesisClient } from '@aws-sdk/client-kinesis';
import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { dynamoClient, kinesisClient, uniqueName } from '../support/harness.js';
import { received, startClient, startService, type RunningService } from '../transport/fixtures.js';
import { leaseCounts, serviceLeases, settled } from './service-fixtures.js';

describe('transport servers sharing the act stream through leases', () => {
  let kinesis: AwsKinesisClient;
  let dynamo: DynamoDBClient;
  const services: RunningService[] = [];
  let caller: { app: INestApplicationContext; client: ClientProxy } | undefined;

  beforeAll(() => {
    kinesis = kinesisClient('kinesalite');
    dynamo = dynamoClient();
  });
  afterAll(async () => {
    await caller?.app.close();
    await Promise.all(services.map((s) => s.close()));
    kinesis.destroy();
    dynamo.destroy();
  });

  it('two servers hold 2 leases each; 40 requests are each answered and handled once, by both servers', async () => {
    const actStream = uniqueName('lease-act');
    const resStream = uniqueName('lease-res');
    const appName = uniqueName('svc');
    await ensureStream(kinesis, actStream, { shardCount: 4 });
    await ensureStream(kinesis, resStream, { shardCount: 1 });
    const base = { region: 'us-east-1', awsClient: kinesis, actStream, resStream };

    services.push(
      ...(await Promise.all(
        ['server-a', 'server-b'].map((workerId) =>
          startService({ ...base, appName, leases: serviceLeases(dynamo, appName, workerId) }),
        ),
      )),
    );
    const settle = await settled(dynamo, appName, actStream, ['server-a', 'server-b']);
    expect(leaseCounts(settle)).toEqual({ 'server-a': 2, 'server-b': 2 });

    caller = await startClient({ ...base, timeoutMs: 20_000 }); // partitionBy 'spread': random keys
    const caller1 = uniqueName('caller');
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        firstValueFrom(caller!.client.send('echo', { n, caller: caller1 })),
      ),
    );

    expect(replies).toEqual(Array.from({ length: 40 }, (_, n) => ({ n, caller: caller1 })));
    const handledTimes = Array.from({ length: 40 }, (_, n) => received.calls.get(`${caller1}:${n}`));
    expect(handledTimes).toEqual(Array(40).fill(1));
    const handled = services.map((s) => s.server.stats.handled);
    expect(handled.every((count) => count > 0)).toBe(true);
    expect(handled[0] + handled[1]).toBe(40);
    expect(services.map((s) => s.server.stats.duplicates)).toEqual([0, 0]);
  });
});
