/**
 * `nestjs-kinesis-transport/connector`: the connector pipeline, Transformer -> Filter -> Buffer -> Emitter, with
 * checkpoints only after a successful emit, and its emitters and dead-letter sinks that need no optional driver.
 * S3, Postgres and Redshift: `./connector/s3`, `./connector/postgres`, `./connector/redshift`; the Nest module:
 * `./connector/nest`.
 */
export {
  AllPassFilter,
  Connector,
  DEFAULT_BUFFER_LIMITS,
  JsonTransformer,
  PIPELINE_DEFAULTS,
  PipelineCounters,
  RecordBuffer,
  StringTransformer,
  type BatchContext,
  type BufferedItem,
  type BufferFactory,
  type BufferLimits,
  type ConnectorOptions,
  type DeadLetterEntry,
  type DeadLetterSink,
  type DeadLetterStage,
  type EmitBatch,
  type Emitter,
  type FailedItem,
  type Filter,
  type PipelineObserver,
  type PipelineOptions,
  type RecordBatchBuffer,
  type Transformer,
  // Emitters and dead-letter sinks
  DYNAMODB_EMITTER_DEFAULTS,
  DynamoDBEmitter,
  ensureProvenanceTable,
  FileDeadLetterSink,
  KinesisDeadLetterSink,
  KinesisEmitter,
  provenanceKey,
  type DynamoDBEmitterOptions,
  type KinesisEmitterOptions,
  // Errors (all KinesisError)
  DynamoDBKeySchemaError,
  DynamoDBTableError,
  DynamoDBUnprocessedError,
  InvalidConnectorOptionsError,
  InvalidIdentifierError,
  PipelineHaltedError,
  TransformError,
} from '../../libs/connector/src/index.js';
