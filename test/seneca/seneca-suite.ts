/** Shared set-up of the test/seneca suites: streams, the Nest service, a caller, and raw wire helpers. */
import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom } from 'rxjs';
import {
  ensureStream,
  partitionKeyToHashKey,
  silentLogger,
  type Logger,
} from '../../libs/kinesis/src/index.js';
import {
  newSenecaInstanceId,
  newSenecaMessageId,
  type ClientKinesisOptions,
  type SenecaActError,
} from '../../libs/transport/src/index.js';
import {
  eventually,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
  type KinesisEmulator,
} from '../support/harness.js';
import { readStream } from '../support/stream-reader.js';
import { startCaller, startSenecaService, type RunningSenecaService } from './seneca-fixtures.js';

export interface SenecaSuite {
  actStream: string;
  resStream: string;
  base(): { endpoint: string; region: string; actStream: string; resStream: string };
  ids: { server: string; inner: string; caller: string };
  /** What the server warned about (its core logger). */
  warnings: { message: string; context?: Record<string, unknown> }[];
  /** Its warnings and debug lines: a record-caused warning past the first of its kind goes to debug. */
  logged: { level: 'warn' | 'debug'; message: string; context?: Record<string, unknown> }[];
  admin: KinesisClient;
  service: RunningSenecaService;
  /** A seneca-mode client with `ids.caller` and custom$ `{ app: 'caller' }`, on seneca_any. */
  caller: ClientProxy;
  /** Another caller app (closed after the suite). */
  client(options: ClientKinesisOptions): Promise<ClientProxy>;
}

/** Registers beforeAll/afterAll: one service and one caller per emulator, on streams of their own. */
export function senecaSuite(emulator: KinesisEmulator): SenecaSuite {
  const apps: INestApplicationContext[] = [];
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const warnings: SenecaSuite['warnings'] = [];
  const logged: SenecaSuite['logged'] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (message, context) => {
      warnings.push({ message, context });
      logged.push({ level: 'warn', message, context });
    },
    debug: (message, context) => void logged.push({ level: 'debug', message, context }),
  };
  const suite = {
    actStream,
    resStream,
    base: () => ({ endpoint: kinesisEndpoint(emulator), region: 'us-east-1', actStream, resStream }),
    ids: { server: newSenecaInstanceId(), inner: newSenecaInstanceId(), caller: newSenecaInstanceId() },
    warnings,
    logged,
    async client(options: ClientKinesisOptions) {
      const started = await startCaller({ ...suite.base(), protocol: 'seneca', ...options });
      apps.push(started.app);
      return started.client;
    },
  } as SenecaSuite;

  beforeAll(async () => {
    suite.admin = kinesisClient(emulator);
    await ensureStream(suite.admin, actStream, { shardCount: 2 });
    await ensureStream(suite.admin, resStream, { shardCount: 2 });
    const { server, inner, caller } = suite.ids;
    suite.service = await startSenecaService(
      { ...suite.base(), instanceId: server, innerInstanceId: inner },
      logger,
    );
    suite.caller = await suite.client({ seneca: { instanceId: caller, custom: { app: 'caller' } } });
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await suite.service?.close();
    suite.admin?.destroy();
  });
  return suite;
}

export const call = (c: ClientProxy, pattern: Record<string, unknown>, data: unknown) =>
  firstValueFrom(c.send(pattern, data));

/** The error a call failed with (fails the test if it succeeded). */
export const failure = (promise: Promise<unknown>): Promise<SenecaActError> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as SenecaActError,
  );

/** A record on the act stream exactly as given: what seneca-transport (or anyone) would write. */
export const putAct = (suite: SenecaSuite, envelope: unknown, partitionKey = 'seneca_any_act') =>
  suite.admin.send(
    new PutRecordCommand({
      StreamName: suite.actStream,
      PartitionKey: partitionKey,
      Data: Buffer.from(typeof envelope === 'string' ? envelope : JSON.stringify(envelope)),
    }),
  );

/** Every reply to `id` on the res stream, and whether it sits in the shard covering `<topic>_res`. */
export async function repliesTo(suite: SenecaSuite, id: string, topic = 'seneca_any') {
  const hash = partitionKeyToHashKey(`${topic}_res`);
  return (await readStream(suite.admin, suite.resStream)).flatMap((shard) =>
    shard.records
      .map((r) => ({ ...r, body: JSON.parse(r.data.toString()) }))
      .filter((r) => (r.body.id ?? r.body.meta$?.id) === id)
      .map((r) => ({ ...r, inTopicShard: shard.startingHashKey <= hash && hash <= shard.endingHashKey })),
  );
}

/** The one reply to `id`, once written; checks its partition key and shard. */
export async function replyTo(suite: SenecaSuite, id: string, topic = 'seneca_any') {
  let found: Awaited<ReturnType<typeof repliesTo>> = [];
  await eventually(async () => (found = await repliesTo(suite, id, topic)).length > 0, {
    message: `reply ${id}`,
  });
  expect(found).toHaveLength(1);
  expect(found[0]).toMatchObject({ partitionKey: `${topic}_res`, inTopicShard: true });
  return found[0].body;
}

/** A legacy act laid out as captured from seneca 3.38 (seneca-envelopes.md), with a fresh id and origin. */
export function capturedAct(
  act: Record<string, unknown>,
  origin = newSenecaInstanceId(),
  id = newSenecaMessageId(),
) {
  const [mid, cid] = id.split('/');
  return {
    id,
    kind: 'act',
    origin,
    track: [origin],
    time: { client_sent: Date.now() },
    act,
    sync: true,
    msg$: { vin: 1, sid: origin, out: true, mid, cid, snc: true, pat: '' },
  };
}
