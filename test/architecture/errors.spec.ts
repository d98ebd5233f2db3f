/**
 * Every error class the package exports is a KinesisError, so one `instanceof` tells the package's errors from
 * everyone else's, and each has its own name (what logs and `error.name` show).
 */
import * as core from '../../libs/kinesis/src/index.js';
import * as transport from '../../libs/transport/src/index.js';
import * as connector from '../../libs/connector/src/index.js';
import * as seneca from '../../libs/seneca/src/index.js';

const entries = { core, transport, connector, seneca } as Record<string, Record<string, unknown>>;

const errorClasses = Object.entries(entries).flatMap(([entry, exports]) =>
  Object.entries(exports)
    .filter(([, value]) => typeof value === 'function' && (value as Function).prototype instanceof Error)
    .map(([name, value]) => ({ entry, name, type: value as Function })),
);

describe('the error tree', () => {
  it('finds the exported error classes (a rule over none would pass for nothing)', () => {
    expect(errorClasses.length).toBeGreaterThan(20);
  });

  it('every exported error class extends KinesisError', () => {
    const outside = errorClasses
      .filter(({ type }) => type !== core.KinesisError && !(type.prototype instanceof core.KinesisError))
      .map(({ entry, name }) => `${entry}: ${name}`);
    expect(outside).toEqual([]);
  });

  it('every exported error class is named after itself', () => {
    const misnamed = errorClasses
      .filter(({ name, type }) => type.name !== name || !name.endsWith('Error'))
      .map(({ entry, name }) => `${entry}: ${name}`);
    expect(misnamed).toEqual([]);
  });
});
