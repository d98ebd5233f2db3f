export * from './consumer.js';
export {
  checkpointingOf,
  CONSUMER_DEFAULTS,
  InvalidCheckpointingError,
  type Checkpointing,
  type CheckpointingRule,
  type ConsumerOptions,
  type FanOutOptions,
} from './consumer-options.js';
export { ConsumerStoppedError } from './shard-checkpointer.js';
export { coversHashKey, listShards } from './shard-lister.js';
export { comparePositions, toUserRecords } from './records.js';
export * from './fan-out.js';
export {
  HASH_KEY_READER_DEFAULTS,
  NoShardForHashKeyError,
  type HashKeyReader,
  type HashKeyReaderHealth,
  type HashKeyReaderOptions,
  type HashKeyReaderState,
} from './hash-key-reader.js';
export { PollingHashKeyReader, type PollingHashKeyReaderOptions } from './polling-hash-key-reader.js';
export { FanOutHashKeyReader, type FanOutHashKeyReaderOptions } from './fan-out-hash-key-reader.js';
export {
  consumerHealthProblems,
  CONSUMER_HEALTH_DEFAULTS,
  lagProblem,
  shardReadProblems,
  type ConsumerHealth,
  type ConsumerHealthLimits,
  type HealthProblem,
  type HealthProblemKind,
  type LeaseShare,
  type ShardReadState,
} from './consumer-health.js';
