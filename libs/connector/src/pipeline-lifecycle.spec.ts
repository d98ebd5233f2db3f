/** The pipeline's lifecycle calls, driven directly: lease loss, shard end, and a failing checkpoint store. */
import {
  CheckpointStoreError,
  silentLogger,
  type Checkpointer,
  type KinesisRecord,
} from '../../kinesis/src/index.js';
import type { DeadLetterEntry, EmitBatch, Emitter, FailedItem } from './interfaces.js';
import { PipelineProcessor } from './pipeline-processor.js';
import { RecordBuffer } from './record-buffer.js';
import { AllPassFilter, StringTransformer } from './transformers.js';

const record = (n: number): KinesisRecord => ({
  data: Buffer.from(`r${n}`),
  partitionKey: 'k',
  sequenceNumber: String(5000 + n),
  subSequenceNumber: 0,
  aggregated: false,
  approximateArrivalTimestamp: new Date(),
});

function setup(maxAgeMs = 100) {
  const emitted: string[] = [];
  const emitter: Emitter<string> = {
    emit: async (batch: EmitBatch<string>): Promise<FailedItem<string>[]> => {
      emitted.push(...batch.items.map((i) => i.model));
      return [];
    },
    shutdown: async () => undefined,
  };
  const dead: DeadLetterEntry[] = [];
  const processor = new PipelineProcessor<string>({
    streamName: 's',
    transformer: new StringTransformer(),
    filter: new AllPassFilter(),
    bufferFactory: () => new RecordBuffer({ maxRecords: 100, maxAgeMs }),
    emitter,
    deadLetter: { write: async (entries) => void dead.push(...entries) },
    logger: silentLogger,
    ageCheckIntervalMs: 10,
  });
  const checkpoints: string[] = [];
  const checkpointer: Checkpointer = {
    checkpoint: async (at) =>
      void checkpoints.push(at === undefined ? 'SHARD_END' : typeof at === 'string' ? at : at.sequenceNumber),
  };
  processor.initialize({ shardId: 'shard-1', sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 });
  return { processor, emitted, checkpoints, checkpointer };
}

describe('PipelineProcessor lifecycle', () => {
  it('drops the buffer without checkpointing when the lease is lost', async () => {
    const { processor, emitted, checkpoints, checkpointer } = setup(50);
    await processor.processRecords({ records: [record(1), record(2)], millisBehindLatest: 0, checkpointer });
    processor.leaseLost();
    await new Promise((r) => setTimeout(r, 200)); // past the age limit: nothing may flush now
    expect(emitted).toEqual([]);
    expect(checkpoints).toEqual([]);
  });

  it('flushes and checkpoints at shard end, then checkpoints SHARD_END', async () => {
    const { processor, emitted, checkpoints, checkpointer } = setup(60_000);
    await processor.processRecords({
      records: [record(1), record(2), record(3)],
      millisBehindLatest: 0,
      checkpointer,
    });
    expect(emitted).toEqual([]);
    await processor.shardEnded({ checkpointer });
    expect(emitted).toEqual(['r1', 'r2', 'r3']);
    expect(checkpoints).toEqual(['5003', 'SHARD_END']);
  });

  it('surfaces a failing checkpoint store to the consumer instead of swallowing it', async () => {
    const { processor, checkpointer: ok } = setup(20);
    const failure = new CheckpointStoreError('set', 's', 'shard-1', 3, { cause: new Error('redis down') });
    const failing: Checkpointer = { checkpoint: () => Promise.reject(failure) };
    await processor.processRecords({ records: [record(1)], millisBehindLatest: 0, checkpointer: failing });
    await new Promise((r) => setTimeout(r, 100)); // the age flush emits, then its checkpoint fails
    await expect(
      processor.processRecords({ records: [record(2)], millisBehindLatest: 0, checkpointer: ok }),
    ).rejects.toBe(failure);
  });

  it('lets a shutdown end within its deadline while a write retries an outage and an age flush is due', async () => {
    let emits = 0;
    const down: Emitter<string> = {
      emit: async () => {
        emits++;
        throw new Error('destination down'); // forever: only the shutdown deadline ends the retries
      },
      shutdown: async () => undefined,
    };
    const processor = new PipelineProcessor<string>({
      streamName: 's',
      transformer: new StringTransformer(),
      filter: new AllPassFilter(),
      bufferFactory: () => new RecordBuffer({ maxRecords: 2, maxAgeMs: 20 }),
      emitter: down,
      deadLetter: { write: async () => undefined },
      logger: silentLogger,
      backoff: { baseMs: 1, maxMs: 5 },
      ageCheckIntervalMs: 5,
      shutdownTimeoutMs: 300,
    });
    const checkpoints: unknown[] = [];
    const checkpointer: Checkpointer = { checkpoint: async (at) => void checkpoints.push(at) };
    processor.initialize({ shardId: 'shard-1', sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 });
    const reading = new AbortController();
    const batch = (records: KinesisRecord[]) => ({
      records,
      millisBehindLatest: 0,
      checkpointer,
      signal: reading.signal,
    });
    await processor.processRecords(batch([record(1), record(2)])); // full: a write starts and retries
    await processor.processRecords(batch([record(3)])); // buffered while that write is in flight
    // Past record 3's age limit by many age checks (timers fire in expiry order): the old code's age flush took
    // the shard's lock here to wait for the endless write, and the next processRecords queued behind it forever.
    await new Promise((r) => setTimeout(r, 100));
    const last = processor.processRecords(batch([record(4)]));
    reading.abort(); // the consumer stops: the reading ends, then shutdownRequested is called
    await last;
    await processor.shutdownRequested({ checkpointer });
    expect(emits).toBeGreaterThan(0);
    expect(checkpoints).toEqual([]);
  });
});
