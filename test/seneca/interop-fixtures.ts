/**
 * Interop against the real `seneca` package: one "world" per test (its own act and res streams) holding real
 * Nest apps (ServerKinesis, ClientKinesis in seneca mode) and real Seneca instances with the kinesis-transport
 * plugin. Shared by the test/seneca/interop-*.spec.ts suites.
 */
import 'reflect-metadata';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { Controller, Inject, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, RpcException, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ensureStream, partitionKeyToHashKey, silentLogger } from '../../libs/kinesis/src/index.js';
import {
  KinesisContext,
  ServerKinesis,
  newSenecaInstanceId,
  SenecaExceptionFilter,
  type ClientKinesis,
  type ClientKinesisOptions,
  type SenecaServerOptions,
} from '../../libs/transport/src/index.js';
import { ready, SenecaPool, testOptions, type SenecaApp } from '../../libs/seneca/test/seneca-fixtures.js';
import { eventually, kinesisClient, uniqueName, type KinesisEmulator } from '../support/harness.js';
import { readStream, type StoredRecord } from '../support/stream-reader.js';
import { Counter, senecaActions, senecaSide, VALUES, type SenecaSide } from './interop-seneca-side.js';
import { kinesisClientsModule, startClient, startMicroservice } from '../transport/fixtures.js';
import { senecaOf } from './seneca-fixtures.js';

export { act, actError, ready, type SenecaApp } from '../../libs/seneca/test/seneca-fixtures.js';
export * from './interop-seneca-side.js';

const PROBE = 'INTEROP_PROBE';
const INNER = 'INTEROP_INNER_CLIENT';

/** The Nest service Seneca callers reach: object patterns under `role: 'nest'`. */
@Controller()
class InteropController {
  constructor(
    @Inject(PROBE) private readonly probe: Counter,
    @Inject(INNER) private readonly inner: ClientProxy,
  ) {}

  /** Answers with what it received (the act's fields, `$` directives removed). */
  @MessagePattern({ role: 'nest', cmd: 'echo' })
  echo(@Payload() data: Record<string, unknown>) {
    return { echo: data, by: 'nest' };
  }

  @MessagePattern({ role: 'nest', cmd: 'count' })
  count(@Payload() { marker }: { marker: string }) {
    return { marker, count: this.probe.hit(marker) };
  }

  @MessagePattern({ role: 'nest', cmd: 'value' })
  value(@Payload() { kind }: { kind: string }) {
    return VALUES[kind];
  }

  @MessagePattern({ role: 'nest', cmd: 'fail' })
  fail(): never {
    throw new RpcException({ code: 'E_NEST', message: 'nest said no', details: { x: 1 } });
  }

  /** A plain Error: SenecaExceptionFilter passes its code on (and its message with exposeErrors). */
  @MessagePattern({ role: 'nest', cmd: 'throw' })
  throws(): never {
    throw Object.assign(new RangeError('thrown in nest'), { code: 'E_THROWN' });
  }

  @MessagePattern({ role: 'nest', cmd: 'ctx' })
  ctx(@Payload() payload: unknown, @Ctx() ctx: KinesisContext) {
    return { payload, seneca: senecaOf(ctx) };
  }

  /** Calls on to `role: 'back'` (a Seneca listener) with the inner client, inside this act. */
  @MessagePattern({ role: 'nest', cmd: 'chain' })
  async chain(@Payload() { marker }: { marker: string }, @Ctx() ctx: KinesisContext) {
    const outer = senecaOf(ctx);
    try {
      return { outer, inner: await firstValueFrom(this.inner.send({ role: 'back' }, { marker })) };
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      return { outer, error: { code, message } };
    }
  }
}

export interface NestService {
  server: ServerKinesis;
  /** Counts of the `count` handler, per marker. */
  probe: Counter;
  instanceId: string;
}

/** One test's streams, apps and Seneca instances; `close()` releases them all. */
export class InteropWorld {
  readonly actStream = uniqueName('interop-act');
  readonly resStream = uniqueName('interop-res');
  readonly seneca: SenecaPool;
  private readonly apps: INestApplicationContext[] = [];

  private constructor(readonly admin: KinesisClient) {
    // exposeErrors: the suites compare error messages and details end to end (as the Nest side's filter does).
    this.seneca = new SenecaPool(
      testOptions(admin, this.actStream, this.resStream, {
        createStreams: false,
        pollIntervalMs: 50,
        exposeErrors: true,
      }),
    );
  }

  /** A world with its act and res streams (2 shards each) created. */
  static async create(admin: KinesisClient): Promise<InteropWorld> {
    const world = new InteropWorld(admin);
    await Promise.all([
      ensureStream(admin, world.actStream, { shardCount: 2, pollMs: 50 }),
      ensureStream(admin, world.resStream, { shardCount: 2, pollMs: 50 }),
    ]);
    return world;
  }

  private transport() {
    return { awsClient: this.admin, actStream: this.actStream, resStream: this.resStream };
  }

  /**
   * A Nest microservice (ServerKinesis, protocol auto) serving InteropController, with `filter` (default
   * SenecaExceptionFilter exposing errors, so suites see thrown messages).
   * Its inner client (for `role: 'nest', cmd: 'chain'`) shares the server's instance id, as in a Nest app by
   * default, and is pinned on `role: 'back'`.
   */
  async nestService(
    instanceId = newSenecaInstanceId(),
    filter = new SenecaExceptionFilter({ exposeErrors: true }),
    seneca: SenecaServerOptions = {},
  ): Promise<NestService> {
    const probe = new Counter();
    const inner: ClientKinesisOptions = {
      ...this.transport(),
      protocol: 'seneca',
      seneca: { instanceId, pin: { role: 'back' } },
      timeoutMs: 8_000,
      pollIntervalMs: 50,
      logger: silentLogger,
    };
    @Module({})
    class InteropModule {}
    const module: DynamicModule = {
      module: InteropModule,
      imports: [kinesisClientsModule({ [INNER]: inner })],
      controllers: [InteropController],
      providers: [{ provide: PROBE, useValue: probe }],
    };
    // Nested calls may share a shard with the act being served: more than one handler slot per shard.
    const server = new ServerKinesis({
      ...this.transport(),
      pollIntervalMs: 50,
      concurrency: 8,
      logger: silentLogger,
      seneca: { instanceId, ...seneca },
    });
    const { app } = await startMicroservice(module, server, filter);
    this.apps.push(app);
    return { server, probe, instanceId };
  }

  /** A Nest app with one ClientKinesis in seneca mode (test/transport's startClient), connected. */
  async nestCaller(options: ClientKinesisOptions = {}): Promise<ClientKinesis> {
    const clientOptions: ClientKinesisOptions = {
      ...this.transport(),
      protocol: 'seneca',
      timeoutMs: 8_000,
      pollIntervalMs: 50,
      ...options,
      seneca: { instanceId: newSenecaInstanceId(), ...options.seneca },
    };
    const { app, client } = await startClient(clientOptions);
    this.apps.push(app);
    return client;
  }

  /** A Seneca listener with `actions`, `seneca.listen({ type: 'kinesis', ...listenArgs })`, ready. */
  senecaListener(
    actions: (seneca: SenecaApp) => void,
    listenArgs: Record<string, unknown> = {},
    senecaOptions: Record<string, unknown> = {},
  ): Promise<SenecaApp> {
    const seneca = this.seneca.create({}, senecaOptions);
    actions(seneca);
    seneca.listen({ type: 'kinesis', ...listenArgs });
    return ready(seneca);
  }

  /** A listener running the Seneca service (`senecaActions`); resolves what its actions share with the test. */
  async senecaService(
    listenArgs: Record<string, unknown> = {},
    { tag, senecaOptions }: { tag?: string; senecaOptions?: Record<string, unknown> } = {},
  ): Promise<SenecaSide> {
    const side = senecaSide();
    await this.senecaListener(senecaActions(side, tag), listenArgs, senecaOptions);
    return side;
  }

  /** A Seneca client, `seneca.client({ type: 'kinesis', ...clientArgs })`, ready. */
  senecaClient(clientArgs: Record<string, unknown> = {}) {
    return this.seneca.client(clientArgs);
  }

  /** Every record the res stream holds, in the shard `<topic>_res` maps to (where its clients read). */
  async replyShard(topic = 'seneca_any'): Promise<Array<StoredRecord & { body: any }>> {
    const hash = partitionKeyToHashKey(`${topic}_res`);
    const shard = (await readStream(this.admin, this.resStream)).find(
      (s) => s.startingHashKey <= hash && hash <= s.endingHashKey,
    )!;
    return shard.records.map((r) => ({ ...r, body: JSON.parse(r.data.toString('utf8')) }));
  }

  /** The records of the reply shard (see replyShard) that answer the act `id`. */
  async repliesTo(id: string, topic?: string): Promise<Array<StoredRecord & { body: any }>> {
    return (await this.replyShard(topic)).filter((r) => r.body.id === id);
  }

  /** Every act record, decoded, in any shard. */
  async acts(): Promise<Array<StoredRecord & { body: any }>> {
    return (await readStream(this.admin, this.actStream)).flatMap((s) =>
      s.records.map((r) => ({ ...r, body: JSON.parse(r.data.toString('utf8')) })),
    );
  }

  /** The act record whose act matches `predicate`, once it is stored. */
  async actWhere(predicate: (act: Record<string, any>) => boolean): Promise<StoredRecord & { body: any }> {
    let found: (StoredRecord & { body: any }) | undefined;
    await eventually(
      async () => (found = (await this.acts()).find((r) => predicate(r.body.act))) !== undefined,
      {
        intervalMs: 100,
        message: 'the act record',
      },
    );
    return found!;
  }

  /** Puts a record on a stream exactly as given (a duplicate delivery, a forged reply). */
  async put(stream: 'act' | 'res', partitionKey: string, data: string | Buffer): Promise<void> {
    await this.admin.send(
      new PutRecordCommand({
        StreamName: stream === 'act' ? this.actStream : this.resStream,
        PartitionKey: partitionKey,
        Data: Buffer.from(data),
      }),
    );
  }

  async close(): Promise<void> {
    await this.seneca.closeAll();
    await Promise.all(this.apps.splice(0).map((app) => app.close()));
  }
}

/**
 * Registers the per-emulator admin client and a fresh world per test (closed after it). `world()` is the
 * current test's.
 */
export function interopWorlds(emulator: KinesisEmulator): () => InteropWorld {
  let admin: KinesisClient;
  let current: InteropWorld | undefined;
  beforeAll(() => {
    admin = kinesisClient(emulator);
  });
  beforeEach(async () => {
    current = await InteropWorld.create(admin);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  afterAll(() => admin.destroy());
  return () => current!;
}
