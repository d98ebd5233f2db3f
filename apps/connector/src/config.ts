/**
 * The connector app's configuration: environment variables over an optional JSON file
 * (`CONNECTOR_CONFIG_FILE`, same key names). Everything is checked at start and every bad value is reported
 * at once, so one failed start shows the whole list instead of one problem per restart.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { getConfigToken, registerAs } from '@nestjs/config';
import { quoteIdentifier } from '../../../libs/connector/src/index.js';
import { Reader, type Raw } from './config-values.js';

export { redactCredentials, redactUrl } from './config-values.js';

export type EmitterKind = 's3' | 'postgres' | 'dynamodb' | 'kinesis';
export type DeadLetterKind = 'file' | 's3' | 'kinesis';
export type CheckpointKind = 'memory' | 'redis' | 'dynamodb' | 'leases';
export type TransformerKind = 'json' | 'string';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ConnectorConfig {
  stream: string;
  appName: string;
  kinesisEndpoint?: string;
  region: string;
  /** Shard count of the source stream to create when missing; false: the stream must exist. */
  createStream: number | false;
  startPosition: 'TRIM_HORIZON' | 'LATEST';
  pollIntervalMs: number;
  transformer: TransformerKind;
  checkpointStore: CheckpointKind;
  /** With CHECKPOINT_STORE=leases: this instance's share of the stream, through the lease table. */
  leases?: LeaseSettings;
  redisUrl?: string;
  dynamodbEndpoint?: string;
  emitter: EmitterKind;
  s3Endpoint?: string;
  s3Bucket?: string;
  s3Prefix: string;
  s3Gzip: boolean;
  databaseUrl?: string;
  pgTable: string;
  dynamodbTable?: string;
  targetStream?: string;
  deadLetter: DeadLetterKind;
  deadLetterPath: string;
  deadLetterPrefix: string;
  deadLetterStream?: string;
  buffer: { maxRecords: number; maxBytes: number; maxAgeMs: number };
  httpPort: number;
  /** HTTP_HOST: the address the HTTP server binds (default 127.0.0.1: not reachable from other hosts). */
  httpHost: string;
  /** METRICS_ENABLED: false answers /metrics with 404. */
  metricsEnabled: boolean;
  health: HealthSettings;
  /** SHUTDOWN_GRACE_MS: stop() and the whole close return within this, whatever the emitter does. */
  shutdownGraceMs: number;
  /** PG_STATEMENT_TIMEOUT_MS: Postgres cancels a statement after this (and the pool gives up on it). */
  pgStatementTimeoutMs: number;
  /** AWS_REQUEST_TIMEOUT_MS / AWS_CONNECT_TIMEOUT_MS: the S3 and DynamoDB clients' socket timeouts. */
  awsRequestTimeoutMs: number;
  awsConnectTimeoutMs: number;
  /** 0: no status lines. */
  statusIntervalMs: number;
  logLevel: LogLevel;
}

/**
 * CHECKPOINT_STORE=leases: connectors of one CONNECTOR_APP_NAME share the stream's shards through the DynamoDB
 * lease table `<app>-<stream>` (at DYNAMODB_ENDPOINT), each reading only the shards it leases.
 */
export interface LeaseSettings {
  /** LEASE_WORKER_ID: unique per running instance. Default `<hostname>-<pid>`. */
  workerId: string;
  /** LEASE_FAILOVER_MS: a dead instance's leases are taken after this long. Default 10 s. */
  failoverTimeMs: number;
}

/** When /health answers 503 (see health.ts). */
export interface HealthSettings {
  /**
   * HEALTH_STALL_MS: a shard whose read records wait unwritten (nothing emitted, dead-lettered or checkpointed)
   * this long. Default BUFFER_MAX_AGE_MS + 60 s; must be above BUFFER_MAX_AGE_MS.
   */
  stallMs: number;
  /** HEALTH_MAX_LAG_MS: a shard whose millisBehindLatest is above this; 0: not checked. */
  maxLagMs: number;
}

/** Every key the app reads; a key in the JSON file that is not here is reported (likely a typo). */
export const CONFIG_KEYS = [
  'CONNECTOR_STREAM',
  'CONNECTOR_APP_NAME',
  'KINESIS_ENDPOINT',
  'AWS_REGION',
  'CONNECTOR_CREATE_STREAM',
  'START_POSITION',
  'POLL_INTERVAL_MS',
  'TRANSFORMER',
  'CHECKPOINT_STORE',
  'REDIS_URL',
  'DYNAMODB_ENDPOINT',
  'LEASE_WORKER_ID',
  'LEASE_FAILOVER_MS',
  'EMITTER',
  'S3_ENDPOINT',
  'S3_BUCKET',
  'S3_PREFIX',
  'S3_GZIP',
  'DATABASE_URL',
  'PG_TABLE',
  'DYNAMODB_TABLE',
  'TARGET_STREAM',
  'DEAD_LETTER',
  'DEAD_LETTER_PATH',
  'DEAD_LETTER_PREFIX',
  'DEAD_LETTER_STREAM',
  'BUFFER_MAX_RECORDS',
  'BUFFER_MAX_BYTES',
  'BUFFER_MAX_AGE_MS',
  'HTTP_PORT',
  'HTTP_HOST',
  'METRICS_ENABLED',
  'HEALTH_STALL_MS',
  'HEALTH_MAX_LAG_MS',
  'SHUTDOWN_GRACE_MS',
  'PG_STATEMENT_TIMEOUT_MS',
  'AWS_REQUEST_TIMEOUT_MS',
  'AWS_CONNECT_TIMEOUT_MS',
  'STATUS_INTERVAL_MS',
  'LOG_LEVEL',
] as const;

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid connector configuration (${problems.length}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

/** The JSON file's values as strings (env values are strings too); problems go to `problems`. */
function readConfigFile(path: string, problems: string[]): Raw {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    // JSON.parse's message quotes the text around the mistake, which may be a secret: say only what failed.
    const why =
      error instanceof SyntaxError
        ? 'not valid JSON'
        : ((error as NodeJS.ErrnoException).code ?? 'unreadable');
    problems.push(`CONNECTOR_CONFIG_FILE ${JSON.stringify(path)} could not be read: ${why}`);
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`CONNECTOR_CONFIG_FILE ${JSON.stringify(path)} must hold a JSON object of KEY: value`);
    return {};
  }
  const raw: Raw = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown key ${key} in CONNECTOR_CONFIG_FILE`);
    } else if (['string', 'number', 'boolean'].includes(typeof value)) {
      raw[key] = String(value);
    } else if (value !== null) {
      problems.push(`${key} in CONNECTOR_CONFIG_FILE must be a string, number or boolean`);
    }
  }
  return raw;
}

/** false (default), true (2 shards) or a shard count. */
function createStreamOf(r: Reader): number | false {
  const raw = r.optional('CONNECTOR_CREATE_STREAM');
  if (raw === undefined || ['false', '0'].includes(raw.toLowerCase())) return false;
  if (raw.toLowerCase() === 'true') return 2;
  if (/^\d+$/.test(raw)) return Number(raw);
  r.bad('CONNECTOR_CREATE_STREAM', 'false, true or a shard count', raw);
  return false;
}

/** LEASE_WORKER_ID and LEASE_FAILOVER_MS (at least 100 ms, as the lease engine requires). */
function leaseSettingsOf(r: Reader): LeaseSettings {
  return {
    workerId: r.string('LEASE_WORKER_ID', `${hostname()}-${process.pid}`),
    failoverTimeMs: r.integer('LEASE_FAILOVER_MS', 10_000, 100),
  };
}

/** Validates `env` (default process.env) merged over CONNECTOR_CONFIG_FILE; throws ConfigValidationError. */
export function loadConnectorConfig(env: Record<string, string | undefined> = process.env): ConnectorConfig {
  const fileProblems: string[] = [];
  const filePath = env.CONNECTOR_CONFIG_FILE || undefined;
  const fromFile = filePath ? readConfigFile(filePath, fileProblems) : {};
  // Empty env values count as unset (a blank line in a compose file should not erase the file's value).
  const fromEnv = Object.fromEntries(
    CONFIG_KEYS.filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]),
  );
  const r = new Reader({ ...fromFile, ...fromEnv });
  for (const p of fileProblems) r.problem(p);

  const config: ConnectorConfig = {
    stream: r.required('CONNECTOR_STREAM') ?? '',
    appName: r.string('CONNECTOR_APP_NAME', 'kinesis-connector'),
    kinesisEndpoint: r.url('KINESIS_ENDPOINT'),
    region: r.string('AWS_REGION', 'us-east-1'),
    createStream: createStreamOf(r),
    startPosition: r.oneOf('START_POSITION', ['TRIM_HORIZON', 'LATEST'] as const, 'TRIM_HORIZON'),
    pollIntervalMs: r.integer('POLL_INTERVAL_MS', 200),
    transformer: r.oneOf<TransformerKind>('TRANSFORMER', ['json', 'string'], 'json'),
    checkpointStore: r.oneOf<CheckpointKind>(
      'CHECKPOINT_STORE',
      ['memory', 'redis', 'dynamodb', 'leases'],
      'memory',
    ),
    redisUrl: r.url('REDIS_URL'),
    dynamodbEndpoint: r.url('DYNAMODB_ENDPOINT'),
    emitter: r.oneOf<EmitterKind>('EMITTER', ['s3', 'postgres', 'dynamodb', 'kinesis'], 's3'),
    s3Endpoint: r.url('S3_ENDPOINT'),
    s3Bucket: r.optional('S3_BUCKET'),
    s3Prefix: r.string('S3_PREFIX', ''),
    s3Gzip: r.boolean('S3_GZIP', false),
    databaseUrl: r.url('DATABASE_URL'),
    pgTable: r.string('PG_TABLE', 'kinesis_records'),
    dynamodbTable: r.optional('DYNAMODB_TABLE'),
    targetStream: r.optional('TARGET_STREAM'),
    deadLetter: r.oneOf<DeadLetterKind>('DEAD_LETTER', ['file', 's3', 'kinesis'], 'file'),
    deadLetterPath: r.string('DEAD_LETTER_PATH', './.data/dead-letters.jsonl'),
    deadLetterPrefix: r.string('DEAD_LETTER_PREFIX', 'dead-letters'),
    deadLetterStream: r.optional('DEAD_LETTER_STREAM'),
    buffer: {
      maxRecords: r.integer('BUFFER_MAX_RECORDS', 500),
      maxBytes: r.integer('BUFFER_MAX_BYTES', 5 * 1024 * 1024),
      maxAgeMs: r.integer('BUFFER_MAX_AGE_MS', 10_000),
    },
    httpPort: r.integer('HTTP_PORT', 9464, 0, 65_535),
    httpHost: r.string('HTTP_HOST', '127.0.0.1'),
    metricsEnabled: r.boolean('METRICS_ENABLED', true),
    health: {
      stallMs: r.integer('HEALTH_STALL_MS', 0, 100), // 0: set below from BUFFER_MAX_AGE_MS
      maxLagMs: r.integer('HEALTH_MAX_LAG_MS', 600_000, 0),
    },
    shutdownGraceMs: r.integer('SHUTDOWN_GRACE_MS', 20_000, 100),
    pgStatementTimeoutMs: r.integer('PG_STATEMENT_TIMEOUT_MS', 30_000, 1),
    awsRequestTimeoutMs: r.integer('AWS_REQUEST_TIMEOUT_MS', 30_000, 1),
    awsConnectTimeoutMs: r.integer('AWS_CONNECT_TIMEOUT_MS', 5_000, 1),
    statusIntervalMs: r.integer('STATUS_INTERVAL_MS', 5_000, 0),
    logLevel: r.oneOf<LogLevel>(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
  };

  // Settings that only matter for the chosen parts.
  const { checkpointStore, emitter, deadLetter } = config;
  if (checkpointStore === 'redis') r.required('REDIS_URL', ' when CHECKPOINT_STORE=redis');
  if (checkpointStore === 'leases') config.leases = leaseSettingsOf(r);
  if (emitter === 's3') r.required('S3_BUCKET', ' when EMITTER=s3');
  if (deadLetter === 's3') r.required('S3_BUCKET', ' when DEAD_LETTER=s3');
  // Caught here rather than as a 400 from CreateBucket at start.
  if (config.s3Bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(config.s3Bucket)) {
    r.bad('S3_BUCKET', 'a bucket name (3-63 lowercase letters, digits, dots, hyphens)', config.s3Bucket);
  }
  if (emitter === 'postgres') {
    r.required('DATABASE_URL', ' when EMITTER=postgres');
    try {
      quoteIdentifier(config.pgTable);
    } catch {
      r.bad('PG_TABLE', 'a SQL identifier (name or schema.name)', config.pgTable);
    }
  }
  if (emitter === 'dynamodb') r.required('DYNAMODB_TABLE', ' when EMITTER=dynamodb');
  if (emitter === 'kinesis') r.required('TARGET_STREAM', ' when EMITTER=kinesis');
  if (deadLetter === 'kinesis') r.required('DEAD_LETTER_STREAM', ' when DEAD_LETTER=kinesis');

  // A buffer legitimately holds records up to BUFFER_MAX_AGE_MS before writing them: not a stall.
  if (config.health.stallMs === 0) config.health.stallMs = config.buffer.maxAgeMs + 60_000;
  else if (config.health.stallMs <= config.buffer.maxAgeMs) {
    r.problem(
      `HEALTH_STALL_MS (${config.health.stallMs}) must be greater than BUFFER_MAX_AGE_MS (${config.buffer.maxAgeMs})`,
    );
  }

  if (r.problems.length > 0) throw new ConfigValidationError(r.problems);
  return config;
}

/** The @nestjs/config namespace holding the validated config; inject it with @Inject(CONNECTOR_CONFIG). */
export const CONNECTOR_CONFIG_NAMESPACE = 'connector';
export const CONNECTOR_CONFIG = getConfigToken(CONNECTOR_CONFIG_NAMESPACE);

/** A ConfigModule `load` factory: validation runs when Nest builds the module, i.e. at start. */
export const connectorConfigFactory = (env?: Record<string, string | undefined>) =>
  registerAs(CONNECTOR_CONFIG_NAMESPACE, () => loadConnectorConfig(env));
