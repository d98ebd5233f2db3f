/** A user record as the consumer delivers it (one per KPL sub-record when the input was aggregated). */
export interface KinesisRecord {
  data: Buffer;
  partitionKey: string;
  explicitHashKey?: string;
  sequenceNumber: string;
  /** Index inside a KPL aggregate; 0 for a plain record. */
  subSequenceNumber: number;
  /** True when the record came out of a KPL aggregate. */
  aggregated: boolean;
  approximateArrivalTimestamp: Date;
}

/** Sentinel checkpoints, as the KCL writes them in its lease table. */
export const SHARD_END = 'SHARD_END';
export const TRIM_HORIZON = 'TRIM_HORIZON';
export const LATEST = 'LATEST';

/** What the consumer and the leases need to know of a shard (ListShards) to schedule it. */
export interface ShardInfo {
  shardId: string;
  parentShardIds: string[];
  startingHashKey?: string;
  endingHashKey?: string;
  /** Set when the shard is closed (split or merged away): it will end. */
  endingSequenceNumber?: string;
}

/** Where a shard has been processed up to (inclusive). `sequenceNumber` may be a sentinel. */
export interface Checkpoint {
  sequenceNumber: string;
  subSequenceNumber: number;
}

export function isShardEnd(checkpoint: Checkpoint | undefined): boolean {
  return checkpoint?.sequenceNumber === SHARD_END;
}

/** One small interface for every checkpoint store. `get` resolves `undefined` when none was written. */
export interface CheckpointStore {
  get(streamName: string, shardId: string): Promise<Checkpoint | undefined>;
  set(streamName: string, shardId: string, checkpoint: Checkpoint): Promise<void>;
  /** Releases connections the store opened itself. */
  close?(): Promise<void>;
}

/** Where a shard with no checkpoint starts. */
export type StartPosition =
  { type: 'TRIM_HORIZON' } | { type: 'LATEST' } | { type: 'AT_TIMESTAMP'; timestamp: Date };

export interface Checkpointer {
  /**
   * Records progress. With no argument: the last record of the batch being processed (in `shardEnded`:
   * SHARD_END). With a record or a sequence number: that record. Rejects with CheckpointStoreError after
   * the store's retries, with LeaseLostError when the shard is no longer ours.
   */
  checkpoint(at?: KinesisRecord | string, subSequenceNumber?: number): Promise<void>;
}

export interface InitializeInput {
  shardId: string;
  /** The checkpoint the shard resumes after, or the start position's name. */
  sequenceNumber: string;
  subSequenceNumber: number;
}

export interface ProcessRecordsInput {
  records: KinesisRecord[];
  millisBehindLatest: number | undefined;
  checkpointer: Checkpointer;
  /**
   * Aborted when the shard's reading ends (the consumer stops, the lease is lost or handed over): a processor
   * still waiting to start records (e.g. for capacity) can return early; records it did not start are not
   * checkpointed and are read again. Absent where the caller has no such notion (e.g. the KCL adapter).
   */
  signal?: AbortSignal;
}

/** The KCL's record processor shape. One instance per shard; calls for a shard never overlap. */
export interface RecordProcessor {
  initialize(input: InitializeInput): void | Promise<void>;
  processRecords(input: ProcessRecordsInput): void | Promise<void>;
  /** The shard was taken by another worker: do not checkpoint. */
  leaseLost(): void | Promise<void>;
  /** The shard is closed and fully read: checkpoint (no argument = SHARD_END) so its children can start. */
  shardEnded(input: { checkpointer: Checkpointer }): void | Promise<void>;
  /** The consumer is stopping: checkpoint what is done. */
  shutdownRequested(input: { checkpointer: Checkpointer }): void | Promise<void>;
}

export type RecordProcessorFactory = (shardId: string) => RecordProcessor;
