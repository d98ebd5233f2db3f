/** close() with acts running: the shard stops taking records at once, one grace period, no answer past it. */
import { MemoryCheckpointStore } from '../../kinesis/src/index.js';
import { eventually } from '../../../test/support/harness.js';
import { putRaw } from '../../../test/support/kinesis-helpers.js';
import { RecordingLogger, ready, senecaStreams, testOptions, transportOf } from '../test/seneca-fixtures.js';
import { readAll } from '../../../test/support/stream-reader.js';
import { createKinesisTransport } from './index.js';
import { SenecaRecordProcessor } from './record-processor.js';

const envelope = (i: number) =>
  JSON.stringify({
    id: `hold${String(i).padStart(8, '0')}/txtxtxtxtxtx`,
    kind: 'act',
    origin: 'writer',
    act: { role: 'slow', cmd: 'hold', i },
    sync: true,
  });

describe('Seneca listener, close with every act slot taken, on kinesalite', () => {
  const streams = senecaStreams('kinesalite');

  it('stops waiting for a slot when the consumer stops: no stop deadline passed, nothing checkpointed past the running act', async () => {
    const { pool, client, actStream, resStream } = streams();
    const logger = new RecordingLogger();
    const checkpointStore = new MemoryCheckpointStore();
    const started: number[] = [];
    const held: Array<() => void> = [];
    const plugin = createKinesisTransport({
      ...testOptions(client, actStream, resStream, { shards: 1 }),
      checkpointStore,
      logger,
      maxActsInFlight: 1,
      closeGracePeriodMs: 100,
    });
    const listener = await ready(
      pool
        .bare()
        .use(plugin)
        .add('role:slow,cmd:hold', (msg: any, reply: any) => {
          started.push(msg.i);
          held.push(() => reply(null, { i: msg.i }));
        })
        .listen({ type: 'kinesis' }),
    );

    await putRaw(
      client,
      actStream,
      [1, 2, 3].map((i) => ({ key: 'seneca_any_act', data: envelope(i) })),
    );
    await eventually(() => started.length === 1, { message: 'the first act running' });
    // The shard's processor now waits for a slot with two records in hand. Without the stop signal honoured,
    // the consumer waited its whole stop timeout (30 s), then abandoned the shard.
    await transportOf(listener).close();

    expect(logger.entries.filter((e) => e.message.startsWith('stop deadline passed'))).toEqual([]);
    expect(started).toEqual([1]);
    // The running act is not finished: no checkpoint passes it (a LATEST marker at most).
    const checkpoint = await checkpointStore.get(actStream, 'shardId-000000000000');
    expect(checkpoint?.sequenceNumber ?? 'LATEST').toBe('LATEST');
    held.forEach((release) => release()); // lets Seneca close the instance without waiting for a timeout
  }, 60_000);

  it("does not answer an act that finishes after its shard's final checkpoint (it is read again after a restart)", async () => {
    const { pool, client, actStream, resStream } = streams();
    const logger = new RecordingLogger();
    let release: (() => void) | undefined;
    // The act finishes right after the shutdown checkpoint that could not include it; before, close() waited
    // for it a second time (another grace period) and wrote its reply.
    class ReleasingAfterCheckpoint extends SenecaRecordProcessor {
      override async shutdownRequested(input: Parameters<SenecaRecordProcessor['shutdownRequested']>[0]) {
        await super.shutdownRequested(input);
        release?.();
      }
    }
    const plugin = createKinesisTransport({
      ...testOptions(client, actStream, resStream, { shards: 1 }),
      logger,
      closeGracePeriodMs: 100,
      RecordProcessor: ReleasingAfterCheckpoint,
    });
    const listener = await ready(
      pool
        .bare()
        .use(plugin)
        .add('role:slow,cmd:hold', (msg: any, reply: any) => (release = () => reply(null, { i: msg.i })))
        .listen({ type: 'kinesis' }),
    );

    await putRaw(client, actStream, [{ key: 'seneca_any_act', data: envelope(1) }]);
    await eventually(() => release !== undefined, { message: 'the act running' });
    await transportOf(listener).close();

    expect((await readAll(client, resStream)).map((r) => r.partitionKey)).toEqual([]);
    expect(transportOf(listener).stats.lateReplies).toBe(1);
  });
});
