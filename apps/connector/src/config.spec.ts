import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, loadConnectorConfig, redactCredentials, redactUrl } from './config.js';

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
      'KINESIS_ENDPOINT must be a URL (value not shown: it may hold credentials)',
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
      httpHost: '127.0.0.1',
      metricsEnabled: true,
      health: { stallMs: 70_000, maxLagMs: 600_000 },
      shutdownGraceMs: 20_000,
      pgStatementTimeoutMs: 30_000,
      awsRequestTimeoutMs: 30_000,
      awsConnectTimeoutMs: 5_000,
      statusIntervalMs: 5_000,
      logLevel: 'info',
    });
    expect(loadConnectorConfig({ ...base, CONNECTOR_CREATE_STREAM: 'true' }).createStream).toBe(2);
    expect(loadConnectorConfig({ ...base, CONNECTOR_CREATE_STREAM: 'false' }).createStream).toBe(false);
  });

  it('region: AWS_KINESIS_REGION, else AWS_REGION, else us-east-1 (the core rule), from the file too', () => {
    expect(loadConnectorConfig({ ...base, AWS_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(
      loadConnectorConfig({ ...base, AWS_REGION: 'eu-west-1', AWS_KINESIS_REGION: 'ap-south-1' }).region,
    ).toBe('ap-south-1');
    const file = join(mkdtempSync(join(tmpdir(), 'connector-region-')), 'connector.json');
    writeFileSync(file, JSON.stringify({ AWS_KINESIS_REGION: 'sa-east-1' }));
    expect(
      loadConnectorConfig({ ...base, CONNECTOR_CONFIG_FILE: file, AWS_REGION: 'eu-west-1' }).region,
    ).toBe('sa-east-1');
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

  it('never quotes a URL or the config file text in an error: they may hold credentials', () => {
    const secret = 's3cr3t-Pa55';
    const problems = problemsOf({
      ...base,
      EMITTER: 'postgres',
      DATABASE_URL: `postgres://app:${secret}@db host:5432/orders`, // a space: not a URL
      CHECKPOINT_STORE: 'redis',
      REDIS_URL: `redis://:${secret}@[cache`,
    });
    expect(problems).toEqual([
      'REDIS_URL must be a URL (value not shown: it may hold credentials)',
      'DATABASE_URL must be a URL (value not shown: it may hold credentials)',
    ]);
    expect(JSON.stringify(problems)).not.toContain(secret);

    // JSON.parse's own message quotes the text around the mistake.
    const file = join(mkdtempSync(join(tmpdir(), 'connector-config-')), 'connector.json');
    writeFileSync(file, `{"DATABASE_URL": postgres://app:${secret}@db/orders}`);
    const fileProblems = problemsOf({ ...base, CONNECTOR_CONFIG_FILE: file });
    expect(fileProblems).toEqual([
      `CONNECTOR_CONFIG_FILE ${JSON.stringify(file)} could not be read: not valid JSON`,
    ]);
  });

  it('shows URLs without their credentials', () => {
    expect(redactUrl('postgres://app:pw@db:5432/orders')).toBe('postgres://***@db:5432/orders');
    expect(redactUrl('redis://:pw@cache:6379')).toBe('redis://***@cache:6379');
    expect(redactUrl('http://localhost:4566')).toBe('http://localhost:4566');
    expect(redactUrl('not a url with pw')).toBe('(not shown)');
    expect(redactCredentials('connect to postgres://app:pw@db/x failed; redis://u:p@r:1 too')).toBe(
      'connect to postgres://***@db/x failed; redis://***@r:1 too',
    );
  });

  it('masks secret query parameters, which node-postgres reads (was: printed)', () => {
    const url = 'postgres://db:5432/app?user=svc&password=S3cret!&sslpassword=k3y&sslkey=/k.pem&ssl=true';
    expect(redactUrl(url)).toBe(
      'postgres://db:5432/app?user=svc&password=***&sslpassword=***&sslkey=***&ssl=true',
    );
    expect(redactUrl('redis://cache:6379/0?Auth_Token=t0k&client_secret=s&db=1')).toBe(
      'redis://cache:6379/0?Auth_Token=***&client_secret=***&db=1',
    );
    expect(redactUrl('postgres://u:pw@db/app?PASS%57ORD=S3cret!')).not.toContain('S3cret');
    const stack = `Error: connect ECONNREFUSED (${url})\n    at main (postgres://u:pw@db/app?pass%77ord=S3cret!#x y)`;
    const redacted = redactCredentials(stack);
    expect(redacted).not.toMatch(/S3cret|k3y|k\.pem|pw@/);
    expect(redacted).toContain('?user=svc&password=***&sslpassword=***&sslkey=***&ssl=true)');
    expect(redacted).toContain('postgres://***@db/app?pass%77ord=*** y)');
    expect(redactCredentials('a?page=2&token_ttl=9&x=1')).toBe('a?page=2&token_ttl=***&x=1');
  });

  it('reads the health, shutdown and timeout settings', () => {
    expect(
      loadConnectorConfig({
        ...base,
        HTTP_HOST: '0.0.0.0',
        METRICS_ENABLED: 'false',
        HEALTH_STALL_MS: '5000',
        HEALTH_MAX_LAG_MS: '0',
        BUFFER_MAX_AGE_MS: '1000',
        SHUTDOWN_GRACE_MS: '3000',
        PG_STATEMENT_TIMEOUT_MS: '100',
        AWS_REQUEST_TIMEOUT_MS: '200',
        AWS_CONNECT_TIMEOUT_MS: '300',
      }),
    ).toMatchObject({
      httpHost: '0.0.0.0',
      metricsEnabled: false,
      health: { stallMs: 5_000, maxLagMs: 0 },
      shutdownGraceMs: 3_000,
      pgStatementTimeoutMs: 100,
      awsRequestTimeoutMs: 200,
      awsConnectTimeoutMs: 300,
    });
    // The default stall threshold stays above the buffer's age limit; a set one must be above it.
    expect(loadConnectorConfig({ ...base, BUFFER_MAX_AGE_MS: '600000' }).health.stallMs).toBe(660_000);
    expect(problemsOf({ ...base, HEALTH_STALL_MS: '10000', METRICS_ENABLED: 'nope' })).toEqual([
      'METRICS_ENABLED must be true or false, got "nope"',
      'HEALTH_STALL_MS (10000) must be greater than BUFFER_MAX_AGE_MS (10000)',
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
