/**
 * The transporter over enhanced fan-out: the server subscribes to the act stream's shards, the client to its reply
 * shard, and neither side calls GetRecords. kinesis-local only (kinesalite has no SubscribeToShard); it pushes
 * events about once a second, so calls take ~1 s here (~70 ms on AWS).
 */
import type { INestApplicationContext } from '@nestjs/common';
import {
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { createKinesisClient, ensureStream } from '../../libs/kinesis/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { received, startClient, startService, type RunningService } from './fixtures.js';

describe('transporter over enhanced fan-out on kinesis-local', () => {
  const endpoint = kinesisEndpoint('kinesis-local');
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  let admin: KinesisClient;
  let service: RunningService;
  let caller: { app: INestApplicationContext; client: import('@nestjs/microservices').ClientProxy };
  const getRecordsCalls = { server: 0, client: 0 };
  const counting = (side: keyof typeof getRecordsCalls) => {
    const client = createKinesisClient({ endpoint, region: 'us-east-1' });
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'GetRecordsCommand') getRecordsCalls[side]++;
        return next(args);
      },
      { step: 'initialize', name: 'countGetRecords' },
    );
    return client;
  };

  beforeAll(async () => {
    admin = kinesisClient('kinesis-local');
    await ensureStream(admin, actStream, { shardCount: 2 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    const base = { region: 'us-east-1', actStream, resStream };
    service = await startService({
      ...base,
      awsClient: counting('server'),
      fanOut: { consumerName: 'orders-service' },
      startPosition: { type: 'TRIM_HORIZON' },
    });
    caller = await startClient({
      ...base,
      awsClient: counting('client'),
      fanOut: { consumerName: 'caller-1' },
      timeoutMs: 20_000,
    });
  });
  afterAll(async () => {
    await caller?.app.close();
    await service?.close();
    admin.destroy();
  });

  it('answers requests and streams an Observable with no GetRecords on either side', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => firstValueFrom(caller.client.send('sum', [i, 1]))),
    );
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const counted = await lastValueFrom(caller.client.send('stream', { count: 5 }).pipe(toArray()));
    expect(counted).toEqual([0, 1, 2, 3, 4]);
    expect(getRecordsCalls).toEqual({ server: 0, client: 0 });
  });

  it('delivers events', async () => {
    const marker = uniqueName('event');
    caller.client.emit('evt', { marker });
    await eventually(() => received.events.some((e) => (e as { marker?: string })?.marker === marker), {
      message: 'the event handled',
    });
  });

  it('registered one consumer per side, on the stream each reads', async () => {
    const consumers = async (streamName: string) => {
      const { StreamDescriptionSummary } = await admin.send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
      );
      const out = await admin.send(
        new ListStreamConsumersCommand({ StreamARN: StreamDescriptionSummary!.StreamARN }),
      );
      return (out.Consumers ?? []).map((c) => c.ConsumerName).sort();
    };
    expect(await consumers(actStream)).toEqual(['orders-service']);
    expect(await consumers(resStream)).toEqual(['caller-1']);
  });
});
