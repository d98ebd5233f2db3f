/**
 * The MultiLang protocol as aws-kcl's Node side hands it to a record processor (v2 callbacks). The daemon sends
 * newline-delimited JSON (`{"action":"processRecords","records":[...]}`); aws-kcl parses it and calls these.
 */

/** A record as the daemon sends it (the Java KCL's JsonFriendlyRecord). */
export interface KclRecord {
  /** Base64. */
  data: string;
  partitionKey: string;
  sequenceNumber: string;
  /** Index inside a KPL aggregate (the daemon deaggregates by default); absent or 0 for a plain record. */
  subSequenceNumber?: number | null;
  /** Epoch milliseconds. */
  approximateArrivalTimestamp?: number | string | null;
}

/** Called with the daemon's answer: `error` is the name of the Java exception the checkpoint raised. */
export type KclCheckpointCallback = (error?: string | null, sequenceNumber?: string | null) => void;

/**
 * aws-kcl's checkpointer: one checkpoint at a time (a second one while the first waits for the daemon fails),
 * a sequence number or null (the daemon's default: the last delivered record; SHARD_END in shardEnded).
 */
export interface KclCallbackCheckpointer {
  checkpoint(sequenceNumber: string | null, callback: KclCheckpointCallback): void;
}

export interface KclInitializeInput {
  shardId: string;
  /** The lease's checkpoint: a sequence number or a sentinel (TRIM_HORIZON, LATEST, AT_TIMESTAMP). */
  sequenceNumber?: string | null;
  subSequenceNumber?: number | null;
}

export interface KclProcessRecordsInput {
  records?: KclRecord[];
  millisBehindLatest?: number | null;
  checkpointer: KclCallbackCheckpointer;
}

export interface KclCheckpointerInput {
  checkpointer: KclCallbackCheckpointer;
}

/** Tells aws-kcl the action is complete: it then writes `{"action":"status","responseFor":...}`. */
export type KclDone = () => void;

/** The record processor `kcl(processor).run()` drives with the v2 actions. */
export interface KclRecordProcessor {
  initialize(input: KclInitializeInput, done: KclDone): void;
  processRecords(input: KclProcessRecordsInput, done: KclDone): void;
  leaseLost(input: object, done: KclDone): void;
  shardEnded(input: KclCheckpointerInput, done: KclDone): void;
  shutdownRequested(input: KclCheckpointerInput, done: KclDone): void;
}
