/** nestjs-kinesis-transport: the package's public API. */
export * from '../libs/kinesis/src/index.js';
export * from '../libs/transport/src/index.js';
export * from '../libs/connector/src/index.js';
