/**
 * The adapter under aws-kcl's real Node library, driven in-process: the test plays the MultiLangDaemon, writing
 * its JSON actions to the child's input and reading the child's answers, as the Java daemon does over pipes.
 */
import { aggregate } from '../aggregation/index.js';
import { InvalidCheckpointError, LeaseLostError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { ProcessRecordsInput, RecordProcessor } from '../types.js';
import { KclCheckpointError, KclProcessorError, runKcl, type KclRun, type RunKclOptions } from './index.js';
import { MultiLangTestDaemon } from '../../../../test/support/multilang-test-daemon.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const SHARD = 'shardId-000000000001';

/** A processor doing nothing unless told: each test overrides the calls it is about. */
function processor(overrides: Partial<RecordProcessor> = {}): RecordProcessor {
  const nothing = () => undefined;
  return {
    initialize: nothing,
    processRecords: nothing,
    leaseLost: nothing,
    shardEnded: nothing,
    shutdownRequested: nothing,
    ...overrides,
  };
}

let runs: Array<{ run: KclRun; daemon: MultiLangTestDaemon }> = [];

async function start(
  target: Parameters<typeof runKcl>[0],
  options: Omit<RunKclOptions, 'input' | 'output' | 'error'> = { logger: silentLogger },
) {
  const daemon = new MultiLangTestDaemon();
  const run = await runKcl(target, {
    ...options,
    input: daemon.toChild,
    output: daemon.fromChild,
    error: daemon.childErrors,
  });
  runs.push({ run, daemon });
  await daemon.call({ action: 'initialize', shardId: SHARD, sequenceNumber: 'TRIM_HORIZON' });
  return daemon;
}

afterEach(() => {
  for (const { run, daemon } of runs) {
    run.stop();
    daemon.end();
  }
  runs = [];
});

describe('kclRecordProcessor under aws-kcl', () => {
  it('initialize: the processor gets the shard and the lease checkpoint, the daemon its status', async () => {
    const seen: unknown[] = [];
    const daemon = await start(processor({ initialize: (input) => void seen.push(input) }));
    expect(seen).toEqual([{ shardId: SHARD, sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 }]);

    const second = processor({ initialize: (input) => void seen.push(input) });
    const other = new MultiLangTestDaemon();
    runs.push({
      run: await runKcl(second, { input: other.toChild, output: other.fromChild }),
      daemon: other,
    });
    await other.call({ action: 'initialize', shardId: SHARD, sequenceNumber: '4950', subSequenceNumber: 3 });
    expect(seen[1]).toEqual({ shardId: SHARD, sequenceNumber: '4950', subSequenceNumber: 3 });
    expect(daemon.errorText).toBe('');
  });

  it('processRecords: base64 to Buffers with metadata, a KPL aggregate to its sub-records; status after the promise', async () => {
    const batches: ProcessRecordsInput[] = [];
    let release!: () => void;
    const daemon = await start(
      processor({
        processRecords: (input) => {
          batches.push(input);
          return new Promise<void>((resolve) => (release = resolve));
        },
      }),
    );
    const kpl = aggregate([
      { data: Buffer.from('a0'), partitionKey: 'ka0' },
      { data: Buffer.from('a1'), partitionKey: 'ka1' },
      { data: Buffer.from('a2'), partitionKey: 'ka2', explicitHashKey: '7' },
    ]);
    const at = 1_700_000_000_000;
    daemon.send({
      action: 'processRecords',
      millisBehindLatest: 42,
      records: [
        {
          action: 'record',
          data: b64('plain'),
          partitionKey: 'p',
          sequenceNumber: '100',
          subSequenceNumber: 0,
          approximateArrivalTimestamp: at,
        },
        {
          action: 'record',
          data: kpl.toString('base64'),
          partitionKey: 'agg',
          sequenceNumber: '101',
          approximateArrivalTimestamp: at + 1,
        },
        // A KPL record the daemon deaggregated itself: its sub-records share the sequence number.
        {
          action: 'record',
          data: b64('d0'),
          partitionKey: 'd',
          sequenceNumber: '102',
          subSequenceNumber: 0,
          approximateArrivalTimestamp: at + 2,
        },
        {
          action: 'record',
          data: b64('d1'),
          partitionKey: 'd',
          sequenceNumber: '102',
          subSequenceNumber: 1,
          approximateArrivalTimestamp: at + 2,
        },
      ],
    });
    expect(await daemon.silentFor(200)).toBe(true); // no status while processRecords is pending
    const [{ records, millisBehindLatest }] = batches;
    expect(millisBehindLatest).toBe(42);
    expect(
      records.map((r) => [
        r.data.toString(),
        r.partitionKey,
        r.sequenceNumber,
        r.subSequenceNumber,
        r.aggregated,
      ]),
    ).toEqual([
      ['plain', 'p', '100', 0, false],
      ['a0', 'ka0', '101', 0, true],
      ['a1', 'ka1', '101', 1, true],
      ['a2', 'ka2', '101', 2, true],
      ['d0', 'd', '102', 0, true],
      ['d1', 'd', '102', 1, true],
    ]);
    expect(records[3].explicitHashKey).toBe('7');
    expect(records[0].approximateArrivalTimestamp).toEqual(new Date(at));
    expect(Buffer.isBuffer(records[0].data)).toBe(true);

    release();
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
  });

  it('checkpoint round trip: the request goes out with its sub-sequence, the promise resolves on the answer', async () => {
    const done: string[] = [];
    const daemon = await start(
      processor({
        processRecords: async ({ records, checkpointer }) => {
          await checkpointer.checkpoint(records[0]);
          done.push('plain');
          await checkpointer.checkpoint(records[2]);
          done.push('sub-record');
          await checkpointer.checkpoint();
          done.push('batch');
        },
      }),
    );
    const kpl = aggregate(['x', 'y', 'z'].map((d) => ({ data: Buffer.from(d), partitionKey: d })));
    daemon.send({
      action: 'processRecords',
      records: [
        { data: b64('p'), partitionKey: 'p', sequenceNumber: '200' },
        { data: kpl.toString('base64'), partitionKey: 'k', sequenceNumber: '201' },
      ],
    });
    const first = await daemon.next();
    expect(first).toEqual({ action: 'checkpoint', sequenceNumber: '200' });
    expect(await daemon.silentFor(100)).toBe(true);
    expect(done).toEqual([]); // resolves only on the daemon's answer
    daemon.answerCheckpoint(first);
    const second = await daemon.next();
    expect(second).toEqual({ action: 'checkpoint', sequenceNumber: '201', subSequenceNumber: 1 });
    expect(done).toEqual(['plain']);
    daemon.answerCheckpoint(second);
    const third = await daemon.next();
    expect(third).toEqual({ action: 'checkpoint', sequenceNumber: null }); // the daemon's last delivered record
    daemon.answerCheckpoint(third);
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    expect(done).toEqual(['plain', 'sub-record', 'batch']);
  });

  it.each([
    ['ShutdownException', LeaseLostError],
    ['IllegalArgumentException', InvalidCheckpointError],
    ['ThrottlingException', KclCheckpointError],
    ['InvalidStateException', KclCheckpointError],
  ])('a checkpoint answered with %s rejects with %p', async (daemonError, ErrorClass) => {
    const caught: unknown[] = [];
    const daemon = await start(
      processor({
        processRecords: ({ checkpointer }) =>
          checkpointer.checkpoint('300').catch((e) => void caught.push(e)),
      }),
    );
    daemon.send({
      action: 'processRecords',
      records: [{ data: b64('r'), partitionKey: 'k', sequenceNumber: '300' }],
    });
    daemon.answerCheckpoint(await daemon.next(), daemonError);
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    expect(caught).toHaveLength(1);
    expect(caught[0]).toBeInstanceOf(ErrorClass);
    expect((caught[0] as Error).message).toContain(daemonError);
    if (caught[0] instanceof KclCheckpointError)
      expect(caught[0].retryable).toBe(daemonError === 'ThrottlingException');
  });

  it('checkpoints fired without awaiting go one at a time, and the status waits for their answers', async () => {
    const results: string[] = [];
    const daemon = await start(
      processor({
        processRecords: ({ records, checkpointer }) => {
          void checkpointer.checkpoint(records[0]).then(() => results.push('first'));
          void checkpointer.checkpoint(records[1]).then(() => results.push('second'));
        },
      }),
    );
    const records = ['400', '401'].map((sequenceNumber) => ({
      data: b64(sequenceNumber),
      partitionKey: 'k',
      sequenceNumber,
    }));
    daemon.send({ action: 'processRecords', records });
    const first = await daemon.next();
    expect(first).toEqual({ action: 'checkpoint', sequenceNumber: '400' });
    expect(await daemon.silentFor(150)).toBe(true); // aws-kcl would refuse a second one in flight
    daemon.answerCheckpoint(first);
    const second = await daemon.next();
    expect(second).toEqual({ action: 'checkpoint', sequenceNumber: '401' });
    daemon.answerCheckpoint(second);
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    expect(results).toEqual(['first', 'second']);
  });

  it('leaseLost: the processor is told and the daemon gets its status', async () => {
    const calls: string[] = [];
    const daemon = await start(processor({ leaseLost: () => void calls.push('leaseLost') }));
    await daemon.call({ action: 'leaseLost' });
    expect(calls).toEqual(['leaseLost']);
  });

  it('shardEnded: checkpoint() and checkpoint(SHARD_END) ask the daemon for SHARD_END before the status', async () => {
    const refused: unknown[] = [];
    const daemon = await start(
      processor({
        processRecords: ({ checkpointer }) =>
          checkpointer.checkpoint('SHARD_END').catch((e) => void refused.push(e)),
        shardEnded: async ({ checkpointer }) => {
          await checkpointer.checkpoint();
          await checkpointer.checkpoint('SHARD_END');
        },
      }),
    );
    await daemon.call({ action: 'processRecords', records: [] });
    expect(refused[0]).toBeInstanceOf(InvalidCheckpointError); // SHARD_END outside shardEnded: nothing sent

    daemon.send({ action: 'shardEnded' });
    for (let i = 0; i < 2; i++) {
      const request = await daemon.next();
      expect(request).toEqual({ action: 'checkpoint', sequenceNumber: null });
      daemon.answerCheckpoint(request);
    }
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'shardEnded' });
  });

  it('shutdownRequested: the processor checkpoints, then the daemon gets its status', async () => {
    const daemon = await start(
      processor({ shutdownRequested: ({ checkpointer }) => checkpointer.checkpoint() }),
    );
    daemon.send({ action: 'shutdownRequested' });
    const request = await daemon.next();
    expect(request).toEqual({ action: 'checkpoint', sequenceNumber: null });
    daemon.answerCheckpoint(request);
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'shutdownRequested' });
  });

  it('a processor that throws is reported as KclProcessorError and the daemon is still answered', async () => {
    const reported: KclProcessorError[] = [];
    const failing = processor({
      processRecords: () => {
        throw new Error('boom');
      },
      shutdownRequested: () => Promise.reject(new Error('bust')),
    });
    const daemon = await start(failing, { logger: silentLogger, onError: (e) => void reported.push(e) });
    await daemon.call({ action: 'processRecords', records: [] });
    await daemon.call({ action: 'shutdownRequested' });
    expect(reported.map((e) => [e.action, e.shardId, (e.cause as Error).message])).toEqual([
      ['processRecords', SHARD, 'boom'],
      ['shutdownRequested', SHARD, 'bust'],
    ]);
    expect(reported[0]).toBeInstanceOf(KclProcessorError);

    // Without onError or logger the failure goes to the error stream, never to the protocol's output.
    const quiet = await start(failing, {});
    await quiet.call({ action: 'processRecords', records: [] });
    expect(quiet.errorText).toContain(`${SHARD}: processRecords failed: boom`);
  });

  it('runKcl with a factory makes the processor for the shard initialize names; closed resolves on end of input', async () => {
    const made: string[] = [];
    const factory = (shardId: string) => {
      made.push(shardId);
      return processor();
    };
    const daemon = await start(factory);
    await daemon.call({ action: 'processRecords', records: [] });
    expect(made).toEqual([SHARD]);
    const { run } = runs.at(-1)!;
    daemon.end();
    await run.closed;
  });
});
