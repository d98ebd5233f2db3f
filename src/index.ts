/**
 * nestjs-kinesis-transport: the Nest transporter, the connector pipeline, the core's essentials and the errors
 * (every one a KinesisError). The rest is on the subpaths: `./kinesis` (the whole core), `./transport`,
 * `./connector`, `./connector/nest`, the driver entries `./kinesis/redis`, `./connector/s3`,
 * `./connector/postgres`, `./connector/redshift`, and `./seneca`. api/public-api.md lists each entry.
 */
export * from './transport/index.js';
export * from './connector/index.js';
export * from './kinesis/errors.js';
export {
  Consumer,
  createKinesisClient,
  DynamoDBCheckpointStore,
  ensureStream,
  LATEST,
  MemoryCheckpointStore,
  Producer,
  resolveRegion,
  SHARD_END,
  silentLogger,
  TRIM_HORIZON,
  withRetries,
  type Checkpoint,
  type CheckpointStore,
  type ConsumerOptions,
  type FanOutOptions,
  type KinesisConnectionOptions,
  type KinesisRecord,
  type LeaseOptions,
  type Logger,
  type ProducerOptions,
  type ProducerRecord,
  type RecordProcessor,
  type RecordProcessorFactory,
  type StartPosition,
} from './kinesis/index.js';
