import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadConnectorConfig } from './config.js';

const base = { CONNECTOR_STREAM: 'orders', S3_BUCKET: 'archive' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConnectorConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return (error as ConfigValidationError).problems;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('connector config', () => {
  it('reports every bad value at once, one message per value', () => {
    const problems = problemsOf({
      BUFFER_MAX_RECORDS: 'abc',
      HTTP_PORT: '70000',
      EMITTER: 'ftp',
      START_POSITION: 'middle',
      S3_GZIP: 'maybe',
      KINESIS_ENDPOINT: 'not a url',
      CONNECTOR_CREATE_STREAM: 'lots',
      CHECKPOINT_STORE: 'redis',
    });
    expect(problems).toEqual([
      'CONNECTOR_STREAM is required',
      'KINESIS_ENDPOINT must be a URL, got "not a url"',
      'CONNECTOR_CREATE_STREAM must be false, true or a shard count, got "lots"',
      'START_POSITION must be one of TRIM_HORIZON, LATEST, got "middle"',
      'EMITTER must be one of s3, postgres, dynamodb, kinesis, got "ftp"',
      'S3_GZIP must be true or false, got "maybe"',
      'BUFFER_MAX_RECORDS must be a positive integer, got "abc"',
      'HTTP_PORT must be an integer from 0 to 65535, got "70000"',
      'REDIS_URL is required when CHECKPOINT_STORE=redis',
      // EMITTER fell back to its default (s3), which needs a bucket.
      'S3_BUCKET is required when EMITTER=s3',
    ]);
    // The thrown message lists them all too.
    expect(() => loadConnectorConfig({ BUFFER_MAX_RECORDS: 'abc' })).toThrow(
      'invalid connector configuration (3):\n' +
        '  - CONNECTOR_STREAM is required\n' +
        '  - BUFFER_MAX_RECORDS must be a positive integer, got "abc"\n' +
        '  - S3_BUCKET is required when EMITTER=s3',
    );
  });

  it('checks the settings of the chosen parts', () => {
    expect(
      problemsOf({
        CONNECTOR_STREAM: 's',
        EMITTER: 'postgres',
        PG_TABLE: 'drop table;',
        DEAD_LETTER: 'kinesis',
        BUFFER_MAX_BYTES: '0',
        S3_BUCKET: 'B',
      }),
    ).toEqual([
      'BUFFER_MAX_BYTES must be a positive integer, got "0"',
      'S3_BUCKET must be a bucket name (3-63 lowercase letters, digits, dots, hyphens), got "B"',
      'DATABASE_URL is required when EMITTER=postgres',
      'PG_TABLE must be a SQL identifier (name or schema.name), got "drop table;"',
      'DEAD_LETTER_STREAM is required when DEAD_LETTER=kinesis',
    ]);
  });

  it('passes a good config and fills in the defaults', () => {
    expect(loadConnectorConfig({ ...base, CONNECTOR_CREATE_STREAM: '3', HTTP_PORT: '0' })).toEqual({
      stream: 'orders',
      appName: 'kinesis-connector',
      kinesisEndpoint: undefined,
      region: 'us-east-1',
      createStream: 3,
      startPosition: 'TRIM_HORIZON',
      pollIntervalMs: 200,
      transformer: 'json',
      checkpointStore: 'memory',
      redisUrl: undefined,
      dynamodbEndpoint: undefined,
      emitter: 's3',
      s3Endpoint: undefined,
      s3Bucket: 'archive',
      s3Prefix: '',
      s3Gzip: false,
      databaseUrl: undefined,
      pgTable: 'kinesis_records',
      dynamodbTable: undefined,
      targetStream: undefined,
      deadLetter: 'file',
      deadLetterPath: './.data/dead-letters.jsonl',
      deadLetterPrefix: 'dead-letters',
      deadLetterStream: undefined,
      buffer: { maxRecords: 500, maxBytes: 5 * 1024 * 1024, maxAgeMs: 10_000 },
      httpPort: 0,
      statusIntervalMs: 5_000,
      logLevel: 'info',
    });
    expect(loadConnectorConfig({ ...base, CONNECTOR_CREATE_STREAM: 'true' }).createStream).toBe(2);
    expect(loadConnectorConfig({ ...base, CONNECTOR_CREATE_STREAM: 'false' }).createStream).toBe(false);
  });

  it('reads the lease settings with CHECKPOINT_STORE=leases, one message per bad value', () => {
    expect(loadConnectorConfig({ ...base, CHECKPOINT_STORE: 'leases' }).leases).toEqual({
      workerId: `${hostname()}-${process.pid}`,
      failoverTimeMs: 10_000,
    });
    expect(
      loadConnectorConfig({
        ...base,
        CHECKPOINT_STORE: 'LEASES',
        LEASE_WORKER_ID: 'connector-a',
        LEASE_FAILOVER_MS: '3000',
      }),
    ).toMatchObject({
      checkpointStore: 'leases',
      leases: { workerId: 'connector-a', failoverTimeMs: 3_000 },
    });
    // Only read for the leases: another store has none.
    expect(loadConnectorConfig({ ...base, LEASE_FAILOVER_MS: '3000' }).leases).toBeUndefined();

    expect(problemsOf({ ...base, CHECKPOINT_STORE: 'leases', LEASE_FAILOVER_MS: '50' })).toEqual([
      'LEASE_FAILOVER_MS must be an integer >= 100, got "50"',
    ]);
    expect(problemsOf({ ...base, CHECKPOINT_STORE: 'lease' })).toEqual([
      'CHECKPOINT_STORE must be one of memory, redis, dynamodb, leases, got "lease"',
    ]);
  });

  it('reads the JSON file, and the environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'connector-config-'));
    const file = join(dir, 'connector.json');
    writeFileSync(
      file,
      JSON.stringify({
        CONNECTOR_STREAM: 'from-file',
        S3_BUCKET: 'file-bucket',
        BUFFER_MAX_RECORDS: 50,
        S3_GZIP: true,
        LOG_LEVEL: 'debug',
      }),
    );
    const config = loadConnectorConfig({
      CONNECTOR_CONFIG_FILE: file,
      LOG_LEVEL: 'warn',
      S3_BUCKET: '', // empty counts as unset: the file's value stays
    });
    expect(config).toMatchObject({
      stream: 'from-file',
      s3Bucket: 'file-bucket',
      s3Gzip: true,
      logLevel: 'warn',
      buffer: { maxRecords: 50 },
    });

    writeFileSync(file, JSON.stringify({ CONNECTOR_STREAM: 's', S3_BUCKET: 'bkt', BUFER_MAX_RECORDS: 5 }));
    expect(problemsOf({ CONNECTOR_CONFIG_FILE: file, POLL_INTERVAL_MS: '-1' })).toEqual([
      'unknown key BUFER_MAX_RECORDS in CONNECTOR_CONFIG_FILE',
      'POLL_INTERVAL_MS must be a positive integer, got "-1"',
    ]);
    expect(problemsOf({ ...base, CONNECTOR_CONFIG_FILE: join(dir, 'missing.json') })[0]).toMatch(
      /^CONNECTOR_CONFIG_FILE ".*missing.json" could not be read: ENOENT/,
    );
  });
});
