/** The Redis checkpoint store (subpath `./kinesis/redis`): it needs the optional peer ioredis. */
export {
  FAIL_FAST_REDIS_OPTIONS,
  RedisCheckpointStore,
  type RedisCheckpointStoreOptions,
} from '../../../libs/kinesis/src/checkpoint/redis-store.js';
