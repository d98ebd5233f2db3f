/**
 * Consumer.stop() is bounded by stopTimeoutMs whatever the processor or the checkpoint store does: a
 * shutdownRequested that never settles, a checkpoint write that hangs. After stop() returned, the processor's
 * checkpoints are refused (ConsumerStoppedError): its uncheckpointed records are read again after a restart.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Consumer,
  ConsumerStoppedError,
  ensureStream,
  MemoryCheckpointStore,
  silentLogger,
  type Checkpoint,
  type CheckpointStore,
  type RecordProcessor,
} from '../../libs/kinesis/src/index.js';
import { eventually, kinesisClient, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { Recorder } from '../support/recording-processor.js';

/** A memory store whose writes wait until `release()` (a store whose server stopped answering). */
class StalledStore extends MemoryCheckpointStore {
  writes: Checkpoint[] = [];
  release: () => void = () => undefined;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));

  override async set(streamName: string, shardId: string, checkpoint: Checkpoint): Promise<void> {
    this.writes.push(checkpoint);
    await this.released;
    await super.set(streamName, shardId, checkpoint);
  }
}

describe('Consumer.stop() deadline (kinesalite)', () => {
  let client: KinesisClient;
  const consumers: Consumer[] = [];
  beforeAll(() => (client = kinesisClient('kinesalite')));
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop({ timeoutMs: 0 })));
    client.destroy();
  });

  async function consumerOf(store: CheckpointStore, wrap?: (p: RecordProcessor) => RecordProcessor) {
    const streamName = uniqueName('stop-deadline');
    await ensureStream(client, streamName, { shardCount: 1 });
    const recorder = new Recorder();
    const errors: unknown[] = [];
    const consumer = new Consumer({
      client,
      streamName,
      checkpointStore: store,
      checkpointAttempts: 1,
      pollIntervalMs: 20,
      stopTimeoutMs: 300,
      logger: silentLogger,
      processorFactory: (shardId) => {
        const recording = recorder.factory()(shardId);
        return wrap ? wrap(recording) : recording;
      },
    });
    consumer.on('error', (e) => errors.push(e));
    consumers.push(consumer);
    await consumer.start();
    return { consumer, recorder, errors, streamName };
  }

  it('returns while a checkpoint write hangs; the write after stop() is refused', async () => {
    const store = new StalledStore();
    const { consumer, recorder, errors, streamName } = await consumerOf(store);
    await putRaw(client, streamName, [{ data: 'a', key: 'k' }]);
    await eventually(() => store.writes.length === 1, { message: 'the batch checkpoint in flight' });

    await consumer.stop();

    store.release(); // the store answers again: the batch's write lands, then shutdownRequested checkpoints
    await eventually(() => errors.some((e) => e instanceof ConsumerStoppedError), {
      message: 'the checkpoint after stop() refused',
    });
    expect(recorder.calls('shutdownRequested')).toHaveLength(1);
    expect(store.writes).toHaveLength(1); // nothing reached the store after stop() returned
  });

  it('returns while shutdownRequested never settles', async () => {
    const { consumer, recorder, streamName } = await consumerOf(new MemoryCheckpointStore(), (p) => ({
      ...p,
      shutdownRequested: async (input) => {
        await p.shutdownRequested(input);
        await new Promise(() => undefined);
      },
    }));
    await putRaw(client, streamName, [{ data: 'b', key: 'k' }]);
    await eventually(() => recorder.datas().includes('b'), { message: 'b' });

    await consumer.stop();

    expect(recorder.calls('shutdownRequested')).toHaveLength(1);
  });
});
