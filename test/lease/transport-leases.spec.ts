/**
 * Two ServerKinesis microservices with `leases` (kinesalite + dynalite) share a 4-shard act stream: two leases
 * each, and every request is served by exactly one of them. Without the option passed to the Consumer, both
 * would read every shard and each request would be handled twice.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { uniqueName } from '../support/harness.js';
import { received, startClient, startService, type RunningService } from '../transport/fixtures.js';
import { awsClients } from './fixtures.js';
import { leaseCounts, serviceLeases, serviceStreams, settled } from './service-fixtures.js';

describe('transport servers sharing the act stream through leases', () => {
  const services: RunningService[] = [];
  let caller: { app: INestApplicationContext; client: ClientProxy } | undefined;
  const clients = awsClients('kinesalite', async () => {
    await caller?.app.close();
    await Promise.all(services.map((s) => s.close()));
  });

  it('two servers hold 2 leases each; 40 requests are each answered and handled once, by both servers', async () => {
    const { kinesis, dynamo } = clients;
    const { actStream, resStream, appName } = await serviceStreams(kinesis, 'lease', 'svc');
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
