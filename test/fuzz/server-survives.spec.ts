/**
 * End-to-end fuzz: a ServerKinesis (protocol 'auto') on kinesalite is fed a few hundred hostile records straight
 * onto its act stream (PutRecords), interleaved with valid calls from a ClientKinesis. Every valid call must be
 * answered correctly, the server must still answer afterwards, no prototype may change, and the server's stats
 * must account for every user record written (handled + events + invalid + expired + duplicates + ignored).
 */
import 'reflect-metadata';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { Controller, Module, type INestApplicationContext } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import fc from 'fast-check';
import { firstValueFrom } from 'rxjs';
import { ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import { ServerKinesis, type ClientKinesis } from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { startClient, startMicroservice, type RunningService } from '../transport/fixtures.js';
import {
  knownHostileRecords,
  largeRecords,
  smallRecords,
  userRecordCount,
  type FuzzRecord,
} from './fuzz-records.js';
import { assertPrototypesClean, runs } from './invariants.js';

@Controller()
class EchoController {
  @MessagePattern('echo')
  echo(@Payload() data: unknown) {
    return data;
  }

  @MessagePattern({ role: 'fuzz', cmd: 'echo' })
  senecaEcho(@Payload() data: unknown) {
    return { echoed: true, keys: Object.keys(data as object).length };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const MAX_PUT_BYTES = 4 * 1024 * 1024; // PutRecords takes 5 MiB a call

async function putAll(admin: KinesisClient, streamName: string, records: FuzzRecord[]): Promise<void> {
  let batch: FuzzRecord[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const out = await admin.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} fuzz records were not written`);
    batch = [];
    bytes = 0;
  };
  for (const record of records) {
    if (batch.length === 500 || bytes + record.data.length > MAX_PUT_BYTES) await flush();
    batch.push(record);
    bytes += record.data.length + record.partitionKey.length;
  }
  await flush();
}

/** The per-record outcomes (unknownEvents is a part of events; lateReplies are not records). */
const OUTCOMES = [
  'handled',
  'events',
  'invalid',
  'expired',
  'duplicates',
  'ignored',
  'loops',
  'forbiddenReplyStream',
];
const counted = (stats: ServerKinesis['stats']) =>
  OUTCOMES.reduce((n, key) => n + ((stats as unknown as Record<string, number>)[key] ?? 0), 0);

describe(`fuzz: a server fed hostile records keeps answering (seed ${SEED})`, () => {
  const endpoint = kinesisEndpoint('kinesalite');
  const actStream = uniqueName('fuzz-act');
  const resStream = uniqueName('fuzz-res');
  const options = { endpoint, region: 'us-east-1', actStream, resStream };
  let admin: KinesisClient;
  let service: RunningService;
  let caller: { app: INestApplicationContext; client: ClientKinesis };
  const errors: unknown[] = [];
  let trace: RecordTrace;

  beforeAll(async () => {
    admin = kinesisClient('kinesalite');
    await ensureStream(admin, actStream, { shardCount: 2 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    const server = new ServerKinesis({
      ...options,
      protocol: 'auto',
      pollIntervalMs: 20,
      concurrency: 8,
      logger: silentLogger,
    });
    server.on('error', (error) => errors.push(error));
    trace = traceRecords(server);
    service = await startMicroservice(EchoModule, server);
    caller = await startClient({ ...options, timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await caller?.app.close();
    await service?.close();
    admin?.destroy();
  });

  it('answers every valid call, still answers afterwards, and counts every record written', async () => {
    const server = service.server;
    const small = fc.sample(smallRecords(resStream, server.seneca!.instanceId), {
      seed: SEED,
      numRuns: runs(300),
    });
    const large = fc.sample(largeRecords(resStream), { seed: SEED + 1, numRuns: runs(8) });
    const known = knownHostileRecords(resStream, server.seneca!.instanceId);
    const fuzz = [...known, ...small, ...large];
    const written = fuzz.reduce((n, r) => n + userRecordCount(r), 0);

    // A valid call after every 20 fuzz records, all in flight while the fuzz keeps coming.
    const calls: Array<Promise<unknown>> = [];
    const expected: unknown[] = [];
    for (let i = 0; i < fuzz.length; i += 20) {
      // An own `__proto__` key (JSON.parse makes one): valid data may hold it, and it must come back as sent.
      const payload = { n: i, text: `call ${i}`, nested: JSON.parse('{"__proto__":{"polluted":"no"}}') };
      expected.push(JSON.parse(JSON.stringify(payload)));
      calls.push(firstValueFrom(caller.client.send('echo', payload)));
      await putAll(admin, actStream, fuzz.slice(i, i + 20));
    }
    expect(await Promise.all(calls)).toEqual(expected);
    expect(await firstValueFrom(caller.client.send('echo', { after: 'fuzz' }))).toEqual({ after: 'fuzz' });

    const total = written + calls.length + 1;
    // The last call was answered: what is left is the other shard's tail, seconds at most.
    await eventually(() => counted(server.stats) >= total, {
      timeoutMs: 10_000,
      message: `stats to account for ${total} records (${written} fuzz user records + ${calls.length + 1} calls)`,
    }).catch((error: Error) => {
      const families: Record<string, number> = {};
      for (const r of fuzz) families[r.family] = (families[r.family] ?? 0) + userRecordCount(r);
      throw new Error(
        `${error.message}; stats: ${JSON.stringify(server.stats)}; errors: ${describeErrors(errors)}; ` +
          `records delivered to the server ${trace.entered}, still in its hands ${trace.pending.size}; ` +
          `written per family: ${JSON.stringify(families)}`,
      );
    });
    expect({ counted: counted(server.stats), errors: describeErrors(errors) }).toEqual({
      counted: total,
      errors: '',
    });
    assertPrototypesClean();
  });
});

interface RecordTrace {
  /** Records the consumer handed to the server. */
  entered: number;
  /** Records whose handling has not finished, by their first bytes. */
  pending: Map<object, string>;
}

/**
 * Diagnostics only, for the failure message: tells a record the consumer never delivered from one the server
 * took and did not count (wraps the server's private per-record entry point, its ActIntake's handle).
 */
function traceRecords(server: ServerKinesis): RecordTrace {
  const trace: RecordTrace = { entered: 0, pending: new Map() };
  type Handle = (input: { record: { data: Buffer } }, ...rest: unknown[]) => Promise<unknown>;
  const intake = (server as unknown as { intake: { handle: Handle } }).intake;
  const original = intake.handle.bind(intake);
  intake.handle = (input, ...rest) => {
    const { record } = input;
    trace.entered++;
    trace.pending.set(record, record.data.subarray(0, 60).toString('latin1'));
    return original(input, ...rest).finally(() => trace.pending.delete(record));
  };
  return trace;
}

/** Each error with the first frame of this repository that it passed (where to fix it). */
function describeErrors(errors: unknown[]): string {
  return errors
    .map((e) => {
      if (!(e instanceof Error)) return String(e);
      const frame = e.stack?.split('\n').find((line) => line.includes('/libs/') || line.includes('@nestjs'));
      return `${e.name}: ${e.message.slice(0, 120)} (${frame?.trim() ?? 'no frame'})`;
    })
    .join('; ');
}
