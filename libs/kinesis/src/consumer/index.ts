export * from './consumer.js';
export { ConsumerStoppedError } from './shard-checkpointer.js';
export { listShards, type ShardInfo } from './shard-lister.js';
export { comparePositions, toUserRecords } from './records.js';
export * from './fan-out.js';
