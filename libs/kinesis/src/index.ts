/** The Kinesis core: no Nest needed, so the Seneca plugin and plain Node code use it too. */
export * from './types.js';
export * from './errors.js';
export * from './logger.js';
export { errorForLog, forLog, isSafeId, MAX_ID_LENGTH, MAX_LOGGED_CHARS } from './untrusted/index.js';
export { backoffDelay, retry, sleep, type BackoffOptions } from './backoff.js';
export * from './client.js';
export * from './stream-admin.js';
export * from './aggregation/index.js';
export * from './checkpoint/index.js';
export * from './producer/index.js';
export * from './consumer/index.js';
export * from './kcl/index.js';
export * from './lease/index.js';
