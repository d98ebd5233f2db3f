/** Injection tokens of ConnectorModule: each part sits under one, so a user swaps any part through DI. */
export const TRANSFORMER = Symbol('KINESIS_CONNECTOR_TRANSFORMER');
export const FILTER = Symbol('KINESIS_CONNECTOR_FILTER');
export const BUFFER_FACTORY = Symbol('KINESIS_CONNECTOR_BUFFER_FACTORY');
export const EMITTER = Symbol('KINESIS_CONNECTOR_EMITTER');
export const DEAD_LETTER_SINK = Symbol('KINESIS_CONNECTOR_DEAD_LETTER_SINK');
/** A CheckpointStore, or undefined with checkpointStore 'leases' (the lease table holds the checkpoints). */
export const CHECKPOINT_STORE = Symbol('KINESIS_CONNECTOR_CHECKPOINT_STORE');
/** PipelineObserver[]: observers of the pipeline besides the service's own (e.g. Prometheus metrics). */
export const PIPELINE_OBSERVERS = Symbol('KINESIS_CONNECTOR_PIPELINE_OBSERVERS');
/** The ResolvedConnectorOptions (defaults applied, checked). */
export const CONNECTOR_OPTIONS = Symbol('KINESIS_CONNECTOR_OPTIONS');
