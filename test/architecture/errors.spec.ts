/**
 * Every error class the package publishes (any entry, drivers' included) is a KinesisError, so one `instanceof`
 * tells the package's errors from everyone else's, and each is named after itself (what logs and `error.name` show).
 */
import * as root from '../../src/index.js';
import * as transport from '../../src/transport/index.js';
import * as kinesis from '../../src/kinesis/index.js';
import * as redis from '../../src/kinesis/redis/index.js';
import * as connector from '../../src/connector/index.js';
import * as connectorNest from '../../src/connector/nest/index.js';
import * as s3 from '../../src/connector/s3/index.js';
import * as postgres from '../../src/connector/postgres/index.js';
import * as redshift from '../../src/connector/redshift/index.js';
import * as seneca from '../../src/seneca/index.js';

type Constructor = abstract new (...args: never[]) => unknown;
const entries = {
  root,
  transport,
  kinesis,
  redis,
  connector,
  connectorNest,
  s3,
  postgres,
  redshift,
  seneca,
} as Record<string, Record<string, unknown>>;

const errorClasses = Object.entries(entries).flatMap(([entry, exports]) =>
  Object.entries(exports)
    .filter(([, value]) => typeof value === 'function' && (value as Constructor).prototype instanceof Error)
    .map(([name, value]) => ({ entry, name, type: value as Constructor })),
);

describe('the error tree', () => {
  it('finds the exported error classes (a rule over none would pass for nothing)', () => {
    expect(errorClasses.length).toBeGreaterThan(20);
    expect(errorClasses.map((e) => e.name)).toEqual(
      expect.arrayContaining(['S3WriteError', 'PostgresSchemaError']),
    );
  });

  it('every exported error class extends KinesisError', () => {
    const outside = errorClasses
      .filter(
        ({ type }) => type !== kinesis.KinesisError && !(type.prototype instanceof kinesis.KinesisError),
      )
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
