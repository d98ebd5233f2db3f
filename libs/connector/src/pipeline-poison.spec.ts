/**
 * Poison records driven straight through one shard's PipelineProcessor: every per-record step is guarded,
 * so a record that breaks a step is dead-lettered with its stage and the checkpoint never passes a record
 * that is neither stored nor dead-lettered.
 */
import { silentLogger, type Checkpointer, type KinesisRecord } from '../../kinesis/src/index.js';
import { PipelineHaltedError } from './errors.js';
import type { DeadLetterEntry, EmitBatch, Emitter, FailedItem, Filter, Transformer } from './interfaces.js';
import { PipelineCounters } from './pipeline-observer.js';
import { PipelineProcessor, type PipelineOptions } from './pipeline-processor.js';
import { RecordBuffer } from './record-buffer.js';
import { AllPassFilter, JsonTransformer } from './transformers.js';

/** An array nested 5,000 deep: JSON.parse reads it, JSON.stringify throws (call stack). ~10 KB. */
const DEEP = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;

const record = (n: number, data: string = JSON.stringify(n)): KinesisRecord => ({
  data: Buffer.from(data),
  partitionKey: 'k',
  sequenceNumber: String(100 + n),
  subSequenceNumber: 0,
  aggregated: false,
  approximateArrivalTimestamp: new Date(),
});

interface Setup {
  emitter?: Emitter<unknown>;
  filter?: Filter<unknown>;
  transformer?: Transformer<unknown>;
  options?: Partial<PipelineOptions<unknown>>;
}

function setup({ emitter, filter, transformer, options }: Setup = {}) {
  const emitted: { model: unknown; seq: string; modelIndex: number }[] = [];
  const dead: DeadLetterEntry[] = [];
  const checkpoints: string[] = [];
  const counters = new PipelineCounters();
  const recording: Emitter<unknown> = {
    emit: async (batch: EmitBatch<unknown>): Promise<FailedItem<unknown>[]> => {
      for (const i of batch.items) {
        emitted.push({ model: i.model, seq: i.record.sequenceNumber, modelIndex: i.modelIndex });
      }
      return [];
    },
    shutdown: async () => undefined,
  };
  const processor = new PipelineProcessor<unknown>({
    streamName: 's',
    transformer: transformer ?? new JsonTransformer(),
    filter: filter ?? new AllPassFilter(),
    bufferFactory: () => new RecordBuffer({ maxRecords: 1_000, maxAgeMs: 60_000 }),
    emitter: emitter ?? recording,
    deadLetter: { write: async (entries) => void dead.push(...entries) },
    logger: silentLogger,
    observer: counters,
    ...options,
  });
  const checkpointer: Checkpointer = {
    checkpoint: async (at) =>
      void checkpoints.push(at === undefined ? 'SHARD_END' : typeof at === 'string' ? at : at.sequenceNumber),
  };
  processor.initialize({ shardId: 'shard-1', sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 });
  const feed = (records: KinesisRecord[]) =>
    processor.processRecords({ records, millisBehindLatest: 0, checkpointer });
  return { processor, feed, emitted, dead, checkpoints, checkpointer, counters };
}

describe('PipelineProcessor with poison records', () => {
  it('dead-letters a record toBytes cannot encode and emits the rest of its batch ([1, deep, 3, 4], [5])', async () => {
    const { processor, feed, emitted, dead, checkpoints, checkpointer } = setup();
    await feed([record(1), record(2, DEEP), record(3), record(4)]);
    await feed([record(5)]);
    await processor.shutdownRequested({ checkpointer });
    expect(emitted.map((e) => e.model)).toEqual([1, 3, 4, 5]);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ sequenceNumber: '102', stage: 'encode', modelIndex: 0 });
    expect(Buffer.from(dead[0].data, 'base64').toString()).toBe(DEEP);
    expect(dead[0].error).toMatch(/call stack/i);
    expect(checkpoints).toEqual(['105']);
  });

  it('dead-letters a model the filter throws on (stage filter), keeps the others', async () => {
    const filter: Filter<unknown> = {
      keep: (m) => {
        if (m === 3) throw new Error('filter broke on 3');
        return m !== 4;
      },
    };
    const { processor, feed, emitted, dead, checkpoints, checkpointer, counters } = setup({ filter });
    await feed([1, 2, 3, 4, 5].map((n) => record(n)));
    await processor.shutdownRequested({ checkpointer });
    expect(emitted.map((e) => e.model)).toEqual([1, 2, 5]);
    expect(dead.map((d) => [d.sequenceNumber, d.stage, d.modelIndex, d.error])).toEqual([
      ['103', 'filter', 0, 'filter broke on 3'],
    ]);
    expect(counters.filteredCount).toBe(1);
    expect(checkpoints).toEqual(['105']);
  });

  it('gives each element of a JSON array record its modelIndex; [] is counted empty and checkpointed past', async () => {
    const { processor, feed, emitted, dead, checkpoints, checkpointer, counters } = setup();
    await feed([record(1, '["a","b","c"]'), record(2, '[]'), record(3, '{"x":1}')]);
    await processor.shutdownRequested({ checkpointer });
    expect(emitted).toEqual([
      { model: 'a', seq: '101', modelIndex: 0 },
      { model: 'b', seq: '101', modelIndex: 1 },
      { model: 'c', seq: '101', modelIndex: 2 },
      { model: { x: 1 }, seq: '103', modelIndex: 0 },
    ]);
    expect(dead).toEqual([]);
    expect(counters.emptyCount).toBe(1);
    expect(checkpoints).toEqual(['103']);
  });

  it('dead-letters the one element of an array record that cannot be encoded, with its modelIndex', async () => {
    const { processor, feed, emitted, dead, checkpointer } = setup();
    await feed([record(1, `[1, ${DEEP}, 3]`)]);
    await processor.shutdownRequested({ checkpointer });
    expect(emitted.map((e) => [e.model, e.modelIndex])).toEqual([
      [1, 0],
      [3, 2],
    ]);
    expect(dead.map((d) => [d.stage, d.modelIndex])).toEqual([['encode', 1]]);
  });

  it('dead-letters a model whose toBytes returns no bytes (stage encode)', async () => {
    const transformer: Transformer<unknown> = {
      toModels: (r) => r.data.toString(),
      toBytes: (m) => (m === 'x' ? ('not bytes' as unknown as Buffer) : Buffer.from(String(m))),
    };
    const { processor, feed, emitted, dead, checkpointer } = setup({ transformer });
    await feed([record(1, 'a'), record(2, 'x'), record(3, 'b')]);
    await processor.shutdownRequested({ checkpointer });
    expect(emitted.map((e) => e.model)).toEqual(['a', 'b']);
    expect(dead.map((d) => [d.sequenceNumber, d.stage, d.error])).toEqual([
      ['102', 'encode', 'toBytes returned string, not bytes'],
    ]);
  });

  it('halts instead of skipping when a step fails outside the per-record guards', async () => {
    let broken = false;
    const { feed, emitted, checkpoints } = setup({
      options: {
        bufferFactory: () => {
          const buffer = new RecordBuffer<unknown>({ maxRecords: 2, maxAgeMs: 60_000 });
          const add = buffer.add.bind(buffer);
          buffer.add = (item, now) => {
            if (broken) throw new Error('buffer broke');
            add(item, now);
          };
          return buffer;
        },
      },
    });
    await feed([record(1), record(2)]); // flushed at 2 records
    await new Promise((r) => setImmediate(r));
    expect(checkpoints).toEqual(['102']);
    broken = true;
    await expect(feed([record(3), record(4)])).rejects.toThrow('buffer broke');
    broken = false;
    await expect(feed([record(5), record(6)])).rejects.toBeInstanceOf(PipelineHaltedError);
    expect(emitted.map((e) => e.model)).toEqual([1, 2]);
    expect(checkpoints).toEqual(['102']); // never past 3 and 4, which were not stored
  });

  it('returns from shutdownRequested past shutdownTimeoutMs when an emit never settles, checkpointing nothing', async () => {
    const hanging: Emitter<unknown> = { emit: () => new Promise(() => undefined), shutdown: async () => {} };
    const { processor, feed, checkpoints, checkpointer, dead } = setup({
      emitter: hanging,
      options: { shutdownTimeoutMs: 200 },
    });
    await feed([record(1), record(2, '{bad')]);
    await processor.shutdownRequested({ checkpointer });
    expect(checkpoints).toEqual([]);
    expect(dead).toEqual([]); // they ride with the unsettled batch: re-read after a restart
  });

  it('returns from shutdownRequested past shutdownTimeoutMs when the checkpoint never settles', async () => {
    const { processor, feed, emitted } = setup({ options: { shutdownTimeoutMs: 200 } });
    await feed([record(1)]);
    const stuck: Checkpointer = { checkpoint: () => new Promise(() => undefined) };
    await processor.shutdownRequested({ checkpointer: stuck });
    expect(emitted.map((e) => e.model)).toEqual([1]);
  });
});
