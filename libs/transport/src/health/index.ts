export {
  KINESIS_HEALTH_DEFAULTS,
  kinesisHealthProblems,
  type ClientKinesisHealth,
  type KinesisHealth,
  type KinesisHealthProblem,
  type KinesisHealthThresholds,
  type ReplyReaderHealth,
  type ServerKinesisHealth,
} from './kinesis-health.js';
export {
  KinesisHealthIndicator,
  type KinesisHealthDetails,
  type KinesisHealthResult,
} from './kinesis-health.indicator.js';
