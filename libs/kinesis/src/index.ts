/**
 * The Kinesis core's barrel for the other libraries (the package's public entries are in src/). It leaves out the
 * Redis store (its declarations import ioredis, an optional peer: entry `./kinesis/redis`) and the KCL test daemon,
 * so that nothing reached from here needs a driver's types.
 */
export * from './types.js';
export * from './errors.js';
export * from './logger.js';
export { errorForLog, forLog, isSafeId, MAX_ID_LENGTH, MAX_LOGGED_CHARS } from './untrusted/index.js';
export { backoffDelay, sleep, type BackoffOptions } from './backoff.js';
export * from './client.js';
export * from './stream-admin.js';
export { readStreamFacts, StreamDistributionError, type StreamFacts } from './stream-facts.js';
export * from './aggregation/index.js';
export { MemoryCheckpointStore } from './checkpoint/memory-store.js';
export { DynamoDBCheckpointStore, type DynamoDBCheckpointStoreOptions } from './checkpoint/dynamodb-store.js';
export { withRetries, type RetryOptions } from './checkpoint/retrying-store.js';
export { assertValidCheckpoint } from './checkpoint-rules.js';
export * from './producer/index.js';
export * from './consumer/index.js';
export * from './kcl/index.js';
export * from './lease/index.js';
