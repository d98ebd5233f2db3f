/**
 * KinesisModule against kinesalite: producers injected by name put records that GetRecords reads back, options
 * from forRoot or a ConfigService, global or module-scoped providers, a producer swapped through overrideProvider,
 * and shutdown: lingering records flushed at app.close(), the module's own client destroyed, a given one kept.
 */
import 'reflect-metadata';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { jest } from '@jest/globals';
import {
  ensureStream,
  Producer,
  silentLogger,
  type Logger,
  type PutResult,
} from '../../../kinesis/src/index.js';
import { kinesisClient, kinesisEndpoint, uniqueName } from '../../../../test/support/harness.js';
import { injectFaults } from '../../../../test/support/faults.js';
import { readAll } from '../../../../test/support/stream-reader.js';
import { InjectKinesisClient, InjectProducer } from './decorators.js';
import { KinesisModule } from './kinesis.module.js';
import { KinesisModuleOptionsError, type KinesisModuleOptions } from './options.js';
import { getProducerToken, KINESIS_AWS_CLIENT } from './tokens.js';

/** A provider the way an app writes one: the producer and the client injected through the decorators. */
@Injectable()
class Publisher {
  constructor(
    @InjectProducer('events') readonly events: Producer,
    @InjectKinesisClient() readonly kinesis: KinesisClient,
  ) {}

  publish(body: object): Promise<PutResult> {
    return this.events.put({ data: JSON.stringify(body), partitionKey: 'k' });
  }
}

const bodies = async (client: KinesisClient, stream: string) =>
  (await readAll(client, stream)).map((r) => JSON.parse(r.data.toString()) as unknown);

describe('KinesisModule', () => {
  let admin: KinesisClient;
  /** Everything but the endpoint (which forRootAsync's test takes from a ConfigService). */
  const access: KinesisModuleOptions = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    logger: silentLogger,
  };
  let connection: KinesisModuleOptions;
  const apps: INestApplicationContext[] = [];

  /** A real application context: KinesisModule as `kinesis`, plus Publisher (in a feature module if `feature`). */
  async function start(kinesis: ReturnType<typeof KinesisModule.forRoot>, feature = false) {
    @Module({ providers: [Publisher] })
    class FeatureModule {}
    @Module(feature ? { imports: [kinesis, FeatureModule] } : { imports: [kinesis], providers: [Publisher] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    apps.push(app);
    return app;
  }

  const newStream = async (prefix: string) => {
    const stream = uniqueName(prefix);
    await ensureStream(admin, stream, { shardCount: 1 });
    return stream;
  };

  beforeAll(() => {
    admin = kinesisClient('kinesalite');
    connection = { ...access, endpoint: kinesisEndpoint('kinesalite') };
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    admin.destroy();
  });

  it('forRoot: the injected producer puts a record GetRecords reads back, through the injected client', async () => {
    const stream = await newStream('module-root');
    const app = await start(
      KinesisModule.forRoot({ ...connection, producers: { events: { streamName: stream } } }),
    );
    const publisher = app.get(Publisher);
    expect(publisher.events).toBeInstanceOf(Producer);
    expect(publisher.events.streamName).toBe(stream);
    expect(publisher.kinesis).toBeInstanceOf(KinesisClient);
    expect(app.get(KINESIS_AWS_CLIENT)).toBe(publisher.kinesis);

    const { shardId } = await publisher.publish({ order: 1 });
    expect(shardId).toMatch(/^shardId-/);
    expect(await bodies(admin, stream)).toEqual([{ order: 1 }]);
    // The injected client is the one made from the connection options: it reaches the emulator.
    const listed = await publisher.kinesis.send(new ListStreamsCommand({ Limit: 10_000 }));
    expect(listed.StreamNames).toContain(stream);
  });

  it('forRootAsync: stream and endpoint from a ConfigService', async () => {
    const stream = await newStream('module-async');
    const config = { KINESIS_ENDPOINT: connection.endpoint, EVENTS_STREAM: stream };
    const app = await start(
      KinesisModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => config] })],
        inject: [ConfigService],
        producers: ['events'],
        useFactory: (env: ConfigService) => ({
          ...access,
          endpoint: env.getOrThrow<string>('KINESIS_ENDPOINT'),
          producers: { events: { streamName: env.getOrThrow<string>('EVENTS_STREAM'), lingerMs: 0 } },
        }),
      }),
    );
    await app.get(Publisher).publish({ order: 2 });
    expect(await bodies(admin, stream)).toEqual([{ order: 2 }]);
  });

  it('reports every options problem at once, the factory and the declared names compared', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          KinesisModule.forRootAsync({
            producers: ['events', 'audit'],
            useFactory: () => ({ producers: { events: { streamName: 's' }, extra: { streamName: 's' } } }),
          }),
        ],
      }).compile(),
    ).rejects.toThrow(
      new KinesisModuleOptionsError([
        'producer "audit" is declared in forRootAsync but the factory gave no options for it',
        'producer "extra" from the factory is not declared in forRootAsync\'s producers',
      ]),
    );
    const built = Test.createTestingModule({
      imports: [KinesisModule.forRoot({ closeTimeoutMs: 0, producers: { events: { streamName: '' } } })],
    }).compile();
    await expect(built).rejects.toThrow(KinesisModuleOptionsError);
    await expect(built).rejects.toThrow(
      'invalid KinesisModule options (2):\n' +
        '  - producer "events": streamName is required\n' +
        '  - closeTimeoutMs must be an integer >= 1, got 0',
    );
    // The core's own checks, named after the producer.
    await expect(
      Test.createTestingModule({
        imports: [
          KinesisModule.forRoot({ ...connection, producers: { events: { streamName: 's', lingerMs: -1 } } }),
        ],
      }).compile(),
    ).rejects.toThrow(/producer "events": producer option lingerMs must be an integer/);
  });

  it('isGlobal: a feature module injects the producer without importing KinesisModule; otherwise it cannot', async () => {
    const stream = await newStream('module-global');
    const producers = { events: { streamName: stream } };
    const app = await start(KinesisModule.forRoot({ ...connection, isGlobal: true, producers }), true);
    await app.get(Publisher).publish({ order: 3 });
    expect(await bodies(admin, stream)).toEqual([{ order: 3 }]);

    await expect(start(KinesisModule.forRoot({ ...connection, producers }), true)).rejects.toThrow(
      /can't resolve dependencies of the Publisher/,
    );
  });

  it('overrideProvider(getProducerToken(name)): the replacement is injected, and shutdown leaves it alone', async () => {
    const fake = { put: jest.fn(async () => ({ shardId: 'fake', sequenceNumber: '1' })) };
    const moduleRef = await Test.createTestingModule({
      imports: [
        KinesisModule.forRoot({ ...connection, producers: { events: { streamName: 'never-used' } } }),
      ],
      providers: [Publisher],
    })
      .overrideProvider(getProducerToken('events'))
      .useValue(fake)
      .compile();
    await moduleRef.init();
    await moduleRef.get(Publisher).publish({ order: 4 });
    expect(fake.put).toHaveBeenCalledWith({ data: '{"order":4}', partitionKey: 'k' });
    await moduleRef.close(); // the fake has no close(): the module closes only the producers it built
  });

  it('app.close() flushes a lingering producer, then destroys the client the module created', async () => {
    const stream = await newStream('module-flush');
    const app = await start(
      KinesisModule.forRoot({
        ...connection,
        producers: { events: { streamName: stream, lingerMs: 600_000 } },
      }),
    );
    const publisher = app.get(Publisher);
    const destroy = jest.spyOn(publisher.kinesis, 'destroy');
    let stored: PutResult | undefined;
    const put = publisher.publish({ order: 5 }).then((result) => (stored = result));
    expect(await bodies(admin, stream)).toEqual([]); // lingering: nothing sent yet

    await app.close();
    expect(stored?.shardId).toMatch(/^shardId-/); // settled before close() returned
    expect(await bodies(admin, stream)).toEqual([{ order: 5 }]);
    expect(destroy).toHaveBeenCalledTimes(1);
    await put;
    await expect(publisher.publish({ order: 6 })).rejects.toThrow('producer is closed');
  });

  it('a given awsClient is used and not destroyed on shutdown', async () => {
    const stream = await newStream('module-given');
    const awsClient = kinesisClient('kinesalite');
    const destroy = jest.spyOn(awsClient, 'destroy');
    const app = await start(
      KinesisModule.forRoot({ awsClient, producers: { events: { streamName: stream, lingerMs: 600_000 } } }),
    );
    expect(app.get(KINESIS_AWS_CLIENT)).toBe(awsClient);
    const put = app.get(Publisher).publish({ order: 7 });
    await app.close();
    await put;
    expect(destroy).not.toHaveBeenCalled();
    expect(await bodies(awsClient, stream)).toEqual([{ order: 7 }]); // still usable: it is its owner's
    awsClient.destroy();
  });

  it('a producer that cannot drain holds shutdown no longer than closeTimeoutMs, and is named in a warning', async () => {
    const stream = await newStream('module-stuck');
    const awsClient = kinesisClient('kinesalite');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const faults = injectFaults(awsClient, {
      PutRecords: async ({ send }) => {
        await released; // Kinesis does not answer until the test says so
        return send();
      },
    });
    const warnings: unknown[][] = [];
    const logger: Logger = { ...silentLogger, warn: (...args) => void warnings.push(args) };
    const app = await start(
      KinesisModule.forRoot({
        awsClient,
        logger,
        closeTimeoutMs: 100,
        producers: { events: { streamName: stream, lingerMs: 0 } },
      }),
    );
    let settled = false;
    const put = app.get(Publisher).publish({ order: 8 });
    void put.finally(() => (settled = true));

    await app.close();
    expect(settled).toBe(false); // close() returned while the put was still waiting for Kinesis
    expect(warnings).toEqual([
      [
        'KinesisModule: producers not drained within closeTimeoutMs; shutdown goes on without them',
        { producers: ['events'], closeTimeoutMs: 100 },
      ],
    ]);
    release();
    await put; // the given client was not destroyed, so the put completes once Kinesis answers
    faults.remove();
    awsClient.destroy();
  });
});
