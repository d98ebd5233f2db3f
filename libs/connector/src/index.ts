/** The connector pipeline: Transformer -> Filter -> Buffer -> Emitter, checkpoints only after a successful emit. */
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
export * from './dead-letter/s3-sink.js';
export * from './dead-letter/kinesis-sink.js';
export * from './emitters/index.js';
