/**
 * The connector pipeline's barrel for the other libraries and apps (the package's public entries are in src/):
 * Transformer -> Filter -> Buffer -> Emitter, checkpoints only after a successful emit. The S3, Postgres and
 * Redshift parts are left out: their declarations import optional peers' types (entries `./connector/s3`, ...).
 */
export * from './interfaces.js';
export * from './errors.js';
export * from './identifiers.js';
export * from './provenance.js';
export * from './record-buffer.js';
export * from './transformers.js';
export * from './pipeline-observer.js';
export * from './pipeline-processor.js';
export { MAX_DEAD_LETTER_ERROR_CHARS } from './pipeline-steps.js';
export * from './connector.js';
export * from './dead-letter/file-sink.js';
export * from './dead-letter/kinesis-sink.js';
export * from './emitters/dynamodb-emitter.js';
export * from './emitters/dynamodb-table.js';
export * from './emitters/kinesis-emitter.js';
