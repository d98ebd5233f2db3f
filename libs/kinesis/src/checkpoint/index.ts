export { MemoryCheckpointStore } from './memory-store.js';
export {
  FAIL_FAST_REDIS_OPTIONS,
  RedisCheckpointStore,
  type RedisCheckpointStoreOptions,
} from './redis-store.js';
export { DynamoDBCheckpointStore, type DynamoDBCheckpointStoreOptions } from './dynamodb-store.js';
export { withRetries, type RetryOptions } from './retrying-store.js';
export { assertValidCheckpoint } from '../checkpoint-rules.js';
