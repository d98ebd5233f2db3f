/** What a pipeline reports as it goes: ConnectorService turns it into a status line, an app into metrics. */
export interface PipelineObserver {
  recordsIn?(shardId: string, count: number, millisBehindLatest: number | undefined): void;
  emitted?(shardId: string, count: number): void;
  filtered?(shardId: string, count: number): void;
  /** Records that carried no model (e.g. a JSON `[]`): valid, nothing to write, checkpointed past. */
  empty?(shardId: string, count: number): void;
  deadLettered?(shardId: string, count: number): void;
  checkpointed?(shardId: string, sequenceNumber: string): void;
  emitFailed?(shardId: string, error: unknown, attempt: number): void;
}

/** Counts everything, for status lines and tests. */
export class PipelineCounters implements PipelineObserver {
  recordsRead = 0;
  emittedCount = 0;
  filteredCount = 0;
  emptyCount = 0;
  deadLetteredCount = 0;
  emitFailures = 0;
  readonly lagMs = new Map<string, number | undefined>();
  readonly lastCheckpoint = new Map<string, string>();

  recordsIn(shardId: string, count: number, millisBehindLatest: number | undefined): void {
    this.recordsRead += count;
    this.lagMs.set(shardId, millisBehindLatest);
  }
  emitted(_: string, count: number): void {
    this.emittedCount += count;
  }
  filtered(_: string, count: number): void {
    this.filteredCount += count;
  }
  empty(_: string, count: number): void {
    this.emptyCount += count;
  }
  deadLettered(_: string, count: number): void {
    this.deadLetteredCount += count;
  }
  checkpointed(shardId: string, sequenceNumber: string): void {
    this.lastCheckpoint.set(shardId, sequenceNumber);
  }
  emitFailed(): void {
    this.emitFailures++;
  }
}

/** One observer that forwards every event to each of `observers`, in order (e.g. counters and metrics). */
export function combineObservers(...observers: PipelineObserver[]): PipelineObserver {
  return {
    recordsIn: (...a) => observers.forEach((o) => o.recordsIn?.(...a)),
    emitted: (...a) => observers.forEach((o) => o.emitted?.(...a)),
    filtered: (...a) => observers.forEach((o) => o.filtered?.(...a)),
    empty: (...a) => observers.forEach((o) => o.empty?.(...a)),
    deadLettered: (...a) => observers.forEach((o) => o.deadLettered?.(...a)),
    checkpointed: (...a) => observers.forEach((o) => o.checkpointed?.(...a)),
    emitFailed: (...a) => observers.forEach((o) => o.emitFailed?.(...a)),
  };
}
