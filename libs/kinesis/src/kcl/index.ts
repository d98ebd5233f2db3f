export { kclRecordProcessor, processorFromFactory, type KclAdapterOptions } from './adapter.js';
export { KclCheckpointer, type KclCheckpointScope } from './checkpointer.js';
export {
  KclCheckpointError,
  KclNotInstalledError,
  KclProcessorError,
  KclProtocolError,
  checkpointErrorFor,
  type KclAction,
} from './errors.js';
export type * from './protocol.js';
export { fromKclRecords } from './records.js';
export { runKcl, type KclRun, type RunKclOptions } from './run.js';
