import fc from 'fast-check';
import type { KinesisRecord } from '../types.js';
import { InOrderTracker } from './in-order-tracker.js';

const record = (n: number): KinesisRecord => ({
  data: Buffer.alloc(0),
  partitionKey: 'k',
  sequenceNumber: String(1000 + n),
  subSequenceNumber: 0,
  aggregated: false,
  approximateArrivalTimestamp: new Date(0),
});

describe('InOrderTracker', () => {
  it('never moves the watermark past a record whose work is not complete, whatever the completion order', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 40 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.shuffledSubarray([...Array(n).keys()], { minLength: 0, maxLength: n }),
            ),
          ),
        ([n, completionOrder]) => {
          const tracker = new InOrderTracker();
          const finish = Array.from({ length: n }, (_, i) => tracker.start(record(i)));
          const completed = new Set<number>();
          let checkpointed = -1;
          for (const i of completionOrder) {
            finish[i]();
            completed.add(i);
            const advance = tracker.takeAdvance();
            if (advance) checkpointed = Number(advance.sequenceNumber) - 1000;
            // Every record up to the checkpoint is complete, and it is the longest complete prefix.
            let prefix = -1;
            while (completed.has(prefix + 1)) prefix++;
            expect(checkpointed).toBe(prefix);
          }
          expect(tracker.inFlight).toBe(n - completed.size);
        },
      ),
    );
  });

  it('keeps positions, not records, and counts what waits for the watermark', () => {
    const tracker = new InOrderTracker();
    const big = { ...record(0), data: Buffer.alloc(10_000) };
    const finish = [tracker.start(big), tracker.start(record(1)), tracker.start(record(2))];
    finish[2]();
    expect(tracker.pending).toBe(3);
    expect(tracker.inFlight).toBe(2);
    expect(JSON.stringify(tracker).length).toBeLessThan(1_000); // the 10 KB of data is not held
    finish[0]();
    finish[0](); // twice changes nothing
    expect(tracker.pending).toBe(2);
    expect(tracker.oldestPending?.sequenceNumber).toBe('1001');
    expect(tracker.takeAdvance()?.sequenceNumber).toBe('1000');
  });
});
