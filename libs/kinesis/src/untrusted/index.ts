export * from './untrusted.js';
export { DedupeWindow, MAX_DEDUPE_KEY_LENGTH } from './dedupe-window.js';
export { RECORD_WARNING_INTERVAL_MS, WarnThrottle } from './warn-throttle.js';
export { jsonDeeperThan } from './json-depth.js';
