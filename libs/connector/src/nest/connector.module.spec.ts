/**
 * ConnectorModule: options from forRoot or from a ConfigService (forRootAsync), parts swapped through Nest DI
 * (overrideProvider in a test, `parts` in an app), leases shared by two modules.
 */
import 'reflect-metadata';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Injectable } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { ensureStream, leaseTableName, measureSettle } from '../../../kinesis/src/index.js';
import {
  dynamoClient,
  eventually,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
} from '../../../../test/support/harness.js';
import { putRaw } from '../../../../test/support/kinesis-helpers.js';
import type { EmitBatch, Emitter, FailedItem, Filter } from '../interfaces.js';
import { ConnectorModule } from './connector.module.js';
import { ConnectorService } from './connector.service.js';
import { ConnectorOptionsError, type ConnectorModuleOptions } from './options.js';
import { CONNECTOR_OPTIONS, EMITTER, FILTER } from './tokens.js';

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
  let options: ConnectorModuleOptions;
  const modules: TestingModule[] = [];

  beforeAll(async () => {
    client = kinesisClient('kinesalite');
    stream = uniqueName('connector-di');
    await ensureStream(client, stream, { shardCount: 2 });
    options = {
      stream,
      kinesisEndpoint: kinesisEndpoint('kinesalite'),
      emitter: 's3',
      s3Bucket: 'never-created', // the default S3 emitter is replaced, so this bucket must not be needed
      pollIntervalMs: 50,
      buffer: { maxAgeMs: 100 },
      statusIntervalMs: 0,
    };
  });

  afterAll(async () => {
    await Promise.all(modules.map((m) => m.close()));
    client.destroy();
  });

  it('overrideProvider(EMITTER): records put on the stream arrive at the replacement', async () => {
    const emitter = new RecordingEmitter();
    const moduleRef = await Test.createTestingModule({ imports: [ConnectorModule.forRoot(options)] })
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

  it('forRootAsync (ConfigService) with parts { filter: Class, emitter: { useValue } }, no testing override', async () => {
    const emitter = new RecordingEmitter();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConnectorModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ source: stream })] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            ...options,
            stream: config.getOrThrow<string>('source'),
            startPosition: 'TRIM_HORIZON',
          }),
          parts: { filter: EvenOnly, emitter: { useValue: emitter } },
        }),
      ],
    }).compile();
    modules.push(moduleRef);
    expect(moduleRef.get(FILTER)).toBeInstanceOf(EvenOnly);
    // The defaults applied to what the factory gave.
    expect(moduleRef.get(CONNECTOR_OPTIONS)).toMatchObject({ stream, appName: 'kinesis-connector' });
    await moduleRef.init();
    // The stream holds the 20 records of the first test: only the even ones pass the filter.
    await eventually(() => emitter.models.length >= 10, { message: '10 even models' });
    await moduleRef.close();
    expect(emitter.models).toHaveLength(10);
    expect(emitter.models.every((m) => (m as { n: number }).n % 2 === 0)).toBe(true);
  });

  it('checks the options when the module is built: every problem at once', async () => {
    const built = Test.createTestingModule({
      imports: [ConnectorModule.forRoot({ stream: '', emitter: 'postgres', pgTable: 'drop table;' })],
    }).compile();
    await expect(built).rejects.toThrow(ConnectorOptionsError);
    await expect(built).rejects.toThrow(
      'invalid connector options (3):\n' +
        '  - stream is required\n' +
        '  - databaseUrl is required when emitter=postgres\n' +
        '  - pgTable must be a SQL identifier (name or schema.name), got "drop table;"',
    );
  });

  it("a replaced part's options are not required (parts { emitter }: no s3Bucket); a default part's still are", async () => {
    const replaced = await Test.createTestingModule({
      imports: [
        ConnectorModule.forRoot({ stream, parts: { emitter: { useValue: new RecordingEmitter() } } }),
      ],
    }).compile();
    modules.push(replaced);
    const resolved = replaced.get(CONNECTOR_OPTIONS);
    expect(resolved).toMatchObject({ stream, emitter: 's3' });
    expect(resolved.s3Bucket).toBeUndefined();
    const deadLettersToS3 = Test.createTestingModule({
      imports: [
        ConnectorModule.forRoot({
          stream,
          deadLetter: 's3',
          parts: { emitter: { useValue: new RecordingEmitter() } },
        }),
      ],
    }).compile();
    await expect(deadLettersToS3).rejects.toThrow('s3Bucket is required when deadLetter=s3');
  });

  it("checkpointStore 'leases': two modules share the stream, each record emitted once", async () => {
    const leaseStream = uniqueName('connector-leases');
    await ensureStream(client, leaseStream, { shardCount: 2 });
    const emitters = [new RecordingEmitter(), new RecordingEmitter()];
    const apps = await Promise.all(
      emitters.map(async (emitter, i) => {
        const moduleRef = await Test.createTestingModule({
          imports: [
            ConnectorModule.forRoot({
              ...options,
              stream: leaseStream,
              appName: `leases-${leaseStream}`,
              checkpointStore: 'leases',
              dynamodbEndpoint: process.env.DYNALITE_ENDPOINT,
              leases: { workerId: `worker-${i}`, failoverTimeMs: 3_000 },
              startPosition: 'TRIM_HORIZON',
              parts: { emitter: { useValue: emitter } },
            }),
          ],
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
