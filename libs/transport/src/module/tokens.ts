/** Injection tokens of KinesisModule (tests swap what sits under them with overrideProvider). */

/** The AWS `KinesisClient` the module's producers use. */
export const KINESIS_AWS_CLIENT = Symbol('KINESIS_AWS_CLIENT');

/** The module's options, checked (internal: what the module's providers are built from). */
export const KINESIS_MODULE_OPTIONS = Symbol('KINESIS_MODULE_OPTIONS');

/**
 * The token of the producer named `name` in `producers`: a string, the same on every call, so a test reaches it
 * with `overrideProvider(getProducerToken('events'))`.
 */
export function getProducerToken(name: string): string {
  return `KinesisProducer:${name}`;
}
