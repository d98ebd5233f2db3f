/** Swapping parts through Nest DI: overrideProvider in a test, forRoot overrides in an app. */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  EMITTER,
  FILTER,
  type EmitBatch,
  type Emitter,
  type FailedItem,
  type Filter,
} from '../../../libs/connector/src/index.js';
import { ensureStream, leaseTableName, measureSettle } from '../../../libs/kinesis/src/index.js';
import {
  dynamoClient,
  eventually,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
} from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { ConnectorModule } from './connector.module.js';
import { ConnectorService } from './connector.service.js';

/** Keeps what it is given, so the test sees exactly what the pipeline emitted. */
class RecordingEmitter implements Emitter<unknown> {
  readonly models: unknown[] = [];
  shutdowns = 0;
  async emit(batch: EmitBatch<unknown>): Promise<FailedItem<unknown>[]> {
    this.models.push(...batch.items.map((i) => i.model));
    return [];
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

@Injectable()
class EvenOnly implements Filter<{ n: number }> {
  keep(model: { n: number }): boolean {
    return model.n % 2 === 0;
  }
}

describe('ConnectorModule DI', () => {
  let client: KinesisClient;
  let stream: string;
  const modules: TestingModule[] = [];

  beforeAll(async () => {
    client = kinesisClient('kinesalite');
    stream = uniqueName('connector-di');
    await ensureStream(client, stream, { shardCount: 2 });
    // ConnectorModule.forRoot() reads process.env (jest gives each test file its own copy).
    Object.assign(process.env, {
      CONNECTOR_STREAM: stream,
      KINESIS_ENDPOINT: kinesisEndpoint('kinesalite'),
      EMITTER: 's3',
      S3_BUCKET: 'never-created', // the default S3 emitter is replaced, so this bucket must not be needed
      POLL_INTERVAL_MS: '50',
      BUFFER_MAX_AGE_MS: '100',
      STATUS_INTERVAL_MS: '0',
    });
  });

  afterAll(async () => {
    await Promise.all(modules.map((m) => m.close()));
    client.destroy();
  });

  it('overrideProvider(EMITTER): records put on the stream arrive at the replacement', async () => {
    const emitter = new RecordingEmitter();
    const moduleRef = await Test.createTestingModule({ imports: [ConnectorModule.forRoot()] })
      .overrideProvider(EMITTER)
      .useValue(emitter)
      .compile();
    modules.push(moduleRef);
    await moduleRef.init();

    const sent = Array.from({ length: 20 }, (_, n) => ({ n }));
    await putRaw(
      client,
      stream,
      sent.map((m) => ({ data: JSON.stringify(m), key: `k${m.n}` })),
    );
    await eventually(() => emitter.models.length >= sent.length, { message: '20 emitted models' });
    expect(emitter.models).toHaveLength(sent.length);
    expect(emitter.models).toEqual(expect.arrayContaining(sent));
    expect(moduleRef.get(ConnectorService).counters.emittedCount).toBe(sent.length);

    await moduleRef.close();
    expect(emitter.shutdowns).toBe(1); // Connector.stop() ran on shutdown
    expect(moduleRef.get(ConnectorService).health().state).toBe('stopped');
  });

  it('forRoot({ filter: Class, emitter: { useValue } }) swaps parts without a testing override', async () => {
    const emitter = new RecordingEmitter();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConnectorModule.forRoot(
          { filter: EvenOnly, emitter: { useValue: emitter } },
          { env: { ...process.env, START_POSITION: 'TRIM_HORIZON' } },
        ),
      ],
    }).compile();
    modules.push(moduleRef);
    expect(moduleRef.get(FILTER)).toBeInstanceOf(EvenOnly);
    await moduleRef.init();
    // The stream holds the 20 records of the first test: only the even ones pass the filter.
    await eventually(() => emitter.models.length >= 10, { message: '10 even models' });
    await moduleRef.close();
    expect(emitter.models).toHaveLength(10);
    expect(emitter.models.every((m) => (m as { n: number }).n % 2 === 0)).toBe(true);
  });

  it('CHECKPOINT_STORE=leases: two apps share the stream, each record emitted once', async () => {
    const leaseStream = uniqueName('connector-leases');
    await ensureStream(client, leaseStream, { shardCount: 2 });
    const emitters = [new RecordingEmitter(), new RecordingEmitter()];
    const apps = await Promise.all(
      emitters.map(async (emitter, i) => {
        const env = {
          ...process.env,
          CONNECTOR_STREAM: leaseStream,
          CONNECTOR_APP_NAME: `leases-${leaseStream}`,
          CHECKPOINT_STORE: 'leases',
          DYNAMODB_ENDPOINT: process.env.DYNALITE_ENDPOINT,
          LEASE_WORKER_ID: `worker-${i}`,
          LEASE_FAILOVER_MS: '3000',
          START_POSITION: 'TRIM_HORIZON',
        };
        const moduleRef = await Test.createTestingModule({
          imports: [ConnectorModule.forRoot({ emitter: { useValue: emitter } }, { env })],
        }).compile();
        modules.push(moduleRef);
        await moduleRef.init();
        return moduleRef;
      }),
    );
    const dynamo = dynamoClient();
    await measureSettle({
      dynamoClient: dynamo,
      tableName: leaseTableName(`leases-${leaseStream}`, leaseStream),
      workers: ['worker-0', 'worker-1'],
      timeoutMs: 20_000,
    }).finally(() => dynamo.destroy());
    const sent = Array.from({ length: 40 }, (_, n) => ({ n }));
    await putRaw(
      client,
      leaseStream,
      sent.map((m) => ({ data: JSON.stringify(m), key: `k${m.n}` })),
    );
    const emitted = () => emitters.flatMap((e) => e.models);
    await eventually(() => emitted().length >= sent.length, { message: '40 emitted models' });
    // Leases split the 2 shards: both apps emitted, and no record twice.
    expect(emitters.every((e) => e.models.length > 0)).toBe(true);
    expect(emitted()).toHaveLength(sent.length);
    expect(emitted()).toEqual(expect.arrayContaining(sent));
    await Promise.all(apps.map((m) => m.close()));
  });
});
