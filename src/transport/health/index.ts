/**
 * `nestjs-kinesis-transport/transport/health`: `KinesisHealthIndicator`, a @nestjs/terminus health indicator for
 * ServerKinesis and ClientKinesis that checks what they do (status, lag, throttling, lease share, reply readers).
 * @nestjs/terminus is an optional peer, loaded at the first check: this entry loads without it.
 */
export {
  KINESIS_HEALTH_DEFAULTS,
  KinesisHealthIndicator,
  kinesisHealthProblems,
  type ClientKinesisHealth,
  type KinesisHealth,
  type KinesisHealthDetails,
  type KinesisHealthProblem,
  type KinesisHealthResult,
  type KinesisHealthThresholds,
  type ReplyReaderHealth,
  type ServerKinesisHealth,
} from '../../../libs/transport/src/health/index.js';
