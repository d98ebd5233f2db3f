export { MAX_HASH_KEY, effectiveHashKey, parseExplicitHashKey, partitionKeyToHashKey } from './hash-key.js';
export {
  Aggregator,
  DEFAULT_AGGREGATION_MAX_BYTES,
  KPL_MAGIC,
  aggregate,
  type AggregatedRecordOutput,
  type AggregatorOptions,
  type UserRecordInput,
} from './aggregator.js';
export { deaggregate, isAggregated, type DeaggregatedRecord } from './deaggregate.js';
