/** A RecordProcessor for tests: records every call, checkpoints after each batch unless told otherwise. */
import type { KinesisRecord, ProcessRecordsInput, RecordProcessor } from '../../libs/kinesis/src/types.js';

export interface ProcessorEvent {
  shardId: string;
  call: 'initialize' | 'processRecords' | 'leaseLost' | 'shardEnded' | 'shutdownRequested';
  at: number;
  count?: number;
  startedFrom?: string;
}

export interface RecordingOptions {
  /** Checkpoint after each batch (default true). */
  checkpointEachBatch?: boolean;
  /** Checkpoint at SHARD_END in shardEnded (default true). */
  checkpointShardEnd?: boolean;
  /** Checkpoint (the last delivered record) in shutdownRequested (default true). */
  checkpointOnShutdown?: boolean;
  /** Runs inside processRecords (slow processors, failures). */
  onBatch?: (shardId: string, input: ProcessRecordsInput) => Promise<void> | void;
}

export class Recorder {
  readonly events: ProcessorEvent[] = [];
  readonly records: Array<KinesisRecord & { shardId: string }> = [];

  factory = (options: RecordingOptions = {}) => {
    return (shardId: string): RecordProcessor => ({
      initialize: ({ sequenceNumber }) => {
        this.events.push({ shardId, call: 'initialize', at: Date.now(), startedFrom: sequenceNumber });
      },
      processRecords: async (input) => {
        this.events.push({ shardId, call: 'processRecords', at: Date.now(), count: input.records.length });
        await options.onBatch?.(shardId, input);
        for (const r of input.records) this.records.push({ ...r, shardId });
        if (options.checkpointEachBatch ?? true) await input.checkpointer.checkpoint();
      },
      leaseLost: () => {
        this.events.push({ shardId, call: 'leaseLost', at: Date.now() });
      },
      shardEnded: async ({ checkpointer }) => {
        this.events.push({ shardId, call: 'shardEnded', at: Date.now() });
        if (options.checkpointShardEnd ?? true) await checkpointer.checkpoint();
      },
      shutdownRequested: async ({ checkpointer }) => {
        this.events.push({ shardId, call: 'shutdownRequested', at: Date.now() });
        if (options.checkpointOnShutdown ?? true) await checkpointer.checkpoint();
      },
    });
  };

  datas(): string[] {
    return this.records.map((r) => r.data.toString());
  }

  calls(call: ProcessorEvent['call'], shardId?: string): ProcessorEvent[] {
    return this.events.filter((e) => e.call === call && (!shardId || e.shardId === shardId));
  }
}

/** Asserts each partition key's records arrived in the order of their numeric suffix `<key>:<n>`. */
export function expectPerKeyOrder(datas: string[]): void {
  const lastByKey = new Map<string, number>();
  for (const d of datas) {
    const [key, n] = d.split(':');
    const previous = lastByKey.get(key) ?? -1;
    if (Number(n) <= previous) throw new Error(`key ${key}: ${n} arrived after ${previous}`);
    lastByKey.set(key, Number(n));
  }
}
