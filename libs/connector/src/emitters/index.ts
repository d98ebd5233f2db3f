/** The connector's emitters: each a small class, tested against its real local server. */
export * from './s3-keys.js';
export * from './s3-emitter.js';
export * from './s3-manifest-emitter.js';
export * from './redshift-copy.js';
export * from './redshift-transaction.js';
export * from './redshift-manifest-emitter.js';
export * from './redshift-basic-emitter.js';
export * from './postgres-emitter.js';
export * from './dynamodb-emitter.js';
export * from './kinesis-emitter.js';
export * from './dynamodb-table.js';
