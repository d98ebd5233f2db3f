/**
 * End-to-end fuzz for the Seneca plugin: a real Seneca listener (kinesis-transport) on kinesalite is fed the same
 * hostile records as the Nest server (server-survives.spec.ts) on its act stream, interleaved with acts from a
 * real Seneca client. Every act must be answered correctly, the listener must answer afterwards, and no
 * prototype may change: hostile acts reach real Seneca (`seneca.act`), whose message handling merges objects.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import fc from 'fast-check';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { act, SenecaPool, testOptions, type SenecaApp } from '../../libs/seneca/test/seneca-fixtures.js';
import { kinesisClient, uniqueName } from '../support/harness.js';
import { knownHostileRecords, largeRecords, smallRecords, type FuzzRecord } from './fuzz-records.js';
import { assertPrototypesClean, runs } from './invariants.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

async function put(admin: KinesisClient, streamName: string, records: FuzzRecord[]): Promise<void> {
  for (const record of records) {
    // One record per call: the large ones (up to 1 MiB) stay under PutRecords' 5 MiB with no bookkeeping.
    const out = await admin.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: [{ Data: record.data, PartitionKey: record.partitionKey }],
      }),
    );
    if (out.FailedRecordCount) throw new Error('a fuzz record was not written');
  }
}

describe(`fuzz: a Seneca listener fed hostile records keeps answering (seed ${SEED})`, () => {
  const actStream = uniqueName('fuzz-seneca-act');
  const resStream = uniqueName('fuzz-seneca-res');
  let admin: KinesisClient;
  let pool: SenecaPool;
  let listener: SenecaApp;
  let client: SenecaApp;
  /** Hostile acts that reached the action: the fuzz got through the plugin into Seneca. */
  let fuzzActs = 0;

  beforeAll(async () => {
    admin = kinesisClient('kinesalite');
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    pool = new SenecaPool(
      testOptions(admin, actStream, resStream, { createStreams: false, pollIntervalMs: 20 }),
    );
    listener = await pool.listener((seneca) =>
      seneca.add('role:fuzz,cmd:echo', (msg: { n?: unknown }, reply: (e: null, out: unknown) => void) => {
        if (typeof msg.n !== 'number' && msg.n !== 'after') fuzzActs++;
        reply(null, { n: msg.n ?? null });
      }),
    );
    client = await pool.client();
  });

  afterAll(async () => {
    await pool?.closeAll();
    admin?.destroy();
  });

  it('answers every valid act and still answers afterwards; prototypes untouched', async () => {
    const small = fc.sample(smallRecords(resStream, listener.id), { seed: SEED, numRuns: runs(200) });
    const large = fc.sample(largeRecords(resStream), { seed: SEED + 1, numRuns: runs(4) });
    const fuzz = [...knownHostileRecords(resStream, listener.id), ...small, ...large];

    const answers: Array<Promise<unknown>> = [];
    const expected: unknown[] = [];
    for (let i = 0; i < fuzz.length; i += 20) {
      expected.push({ n: i });
      answers.push(act(client, { role: 'fuzz', cmd: 'echo', n: i }));
      await put(admin, actStream, fuzz.slice(i, i + 20));
    }
    const results = (await Promise.all(answers)) as Array<Record<string, unknown>>;
    expect(results.map((r) => ({ n: r.n }))).toEqual(expected);
    expect((await act(client, { role: 'fuzz', cmd: 'echo', n: 'after' })).n).toBe('after');
    expect(fuzzActs).toBeGreaterThan(0);
    assertPrototypesClean();
  });
});
