/** ShardHealth's rules on a controlled clock (the app suites show them through /health against the services). */
import type { BufferedItem } from './interfaces.js';
import { RecordBuffer } from './record-buffer.js';
import { ShardHealth, watchBuffers, watchEmitter } from './shard-health.js';

const A = 'shardId-A';

function setup(maxLagMs = 0) {
  let now = 1_000_000;
  const health = new ShardHealth({ stallMs: 5_000, maxLagMs }, () => now);
  return { health, advance: (ms: number) => (now += ms), at: () => now };
}

describe('ShardHealth', () => {
  it('reports a shard whose millisBehindLatest is above HEALTH_MAX_LAG_MS, and not when 0 (off)', () => {
    const { health } = setup(60_000);
    health.recordsIn(A, 10, 61_000);
    expect(health.problems([A])).toEqual([
      { shardId: A, problem: 'lagging', detail: 'millisBehindLatest 61000 > 60000' },
    ]);
    health.recordsIn(A, 0, 100);
    expect(health.problems([A])).toEqual([]);

    const off = setup(0).health;
    off.recordsIn(A, 10, 10_000_000);
    expect(off.problems([A])).toEqual([]);
  });

  it('reports records buffered longer than the threshold, not a quiet shard with nothing waiting', () => {
    const { health, advance, at } = setup();
    const buffer = watchBuffers(() => new RecordBuffer<unknown>({ maxRecords: 100 }), health)(A);
    advance(60_000); // quiet: nothing waits
    expect(health.problems([A])).toEqual([]);
    buffer.add({ model: {}, record: {}, bytes: 1 } as BufferedItem<unknown>, at());
    advance(5_001);
    expect(health.problems([A])).toEqual([
      { shardId: A, problem: 'stalled', detail: expect.stringMatching(/^1 records buffered for 5\.0 s/) },
    ]);
    buffer.clear();
    expect(health.problems([A])).toEqual([]);
  });

  it('reports a write that does not settle, and only for shards being read', async () => {
    const { health, advance } = setup();
    const emitter = watchEmitter(
      { emit: () => new Promise<never>(() => undefined), shutdown: async () => {} },
      health,
    );
    void emitter.emit({ shardId: A } as never);
    advance(5_001);
    expect(health.problems([A])).toEqual([
      { shardId: A, problem: 'stalled', detail: 'emitter not answering: nothing written for 5.0 s' },
    ]);
    expect(health.problems([])).toEqual([]); // e.g. its lease went to another worker
    health.shardStarted(A); // read again here: a new reader
    expect(health.problems([A])).toEqual([]);
  });

  it('reports records written but not checkpointed for longer than the threshold (was: ok)', () => {
    const { health, advance } = setup();
    health.emitted(A);
    health.checkpointed(A);
    advance(60_000); // quiet after a checkpoint: fine
    expect(health.problems([A])).toEqual([]);
    health.emitted(A); // the checkpoint store is down from here: writes go on, checkpoints do not
    advance(3_000);
    health.emitted(A);
    health.deadLettered(A);
    health.shardStarted(A); // the reader restarts after the failed checkpoint: still nothing checkpointed
    advance(2_001);
    expect(health.problems([A])).toEqual([
      {
        shardId: A,
        problem: 'not checkpointing',
        detail: 'records written 5.0 s ago are not checkpointed; last checkpoint 65.0 s ago',
      },
    ]);
    health.checkpointed(A);
    expect(health.problems([A])).toEqual([]);
    health.emitted(A);
    health.leaseLost(A, 'taken'); // another worker checkpoints it now
    advance(5_001);
    expect(health.problems([A])).toEqual([]);
  });
});
