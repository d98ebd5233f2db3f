export { Producer } from './producer.js';
export type { PutResult } from './entry.js';
export type { ProducerOptions } from './options.js';
export {
  MAX_BATCH_BYTES,
  MAX_BATCH_RECORDS,
  DEFAULT_AGGREGATE_BYTES,
  PRODUCER_DEFAULTS,
  producerLimits,
} from './options.js';
export type { ProducerRecord } from './validate.js';
export { MAX_PARTITION_KEY_LENGTH, MAX_RECORD_BYTES, validateRecord } from './validate.js';
