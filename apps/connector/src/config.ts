/**
 * The connector app's configuration: environment variables over an optional JSON file
 * (`CONNECTOR_CONFIG_FILE`, same key names). Everything is checked at start and every bad value is reported
 * at once, so one failed start shows the whole list instead of one problem per restart.
 */
import { readFileSync } from 'node:fs';
import { getConfigToken, registerAs } from '@nestjs/config';
import {
  CONNECTOR_DEFAULTS,
  connectorOptionProblems,
  describeOptionProblem,
  withConnectorDefaults,
  type CheckpointKind,
  type ConnectorModuleOptions,
  type DeadLetterKind,
  type EmitterKind,
  type LeaseSettings,
  type OptionName,
  type ResolvedConnectorOptions,
  type TransformerKind,
} from '../../../libs/connector/src/nest/index.js';
import { KinesisError, resolveRegion } from '../../../libs/kinesis/src/index.js';
import { Reader, type Raw } from './config-values.js';

export { redactCredentials, redactUrl } from '../../../libs/connector/src/redact.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** ConnectorModule's options (defaults applied) and the app's own: HTTP, metrics, log level. */
export interface ConnectorConfig extends ResolvedConnectorOptions {
  /** HTTP_PORT: the /health and /metrics port (0: ephemeral). */
  httpPort: number;
  /** HTTP_HOST: the address the HTTP server binds (default 127.0.0.1: not reachable from other hosts). */
  httpHost: string;
  /** METRICS_ENABLED: false answers /metrics with 404. */
  metricsEnabled: boolean;
  logLevel: LogLevel;
}

/** The app's defaults; the connector's are CONNECTOR_DEFAULTS (libs/connector/src/nest/options.ts). */
export const APP_DEFAULTS = Object.freeze({
  httpPort: 9464,
  httpHost: '127.0.0.1',
  metricsEnabled: true,
  logLevel: 'info' as LogLevel,
});

/** The environment key of each option, for the problems the library's rules find. */
const ENV_NAME: Partial<Record<OptionName, string>> = {
  redisUrl: 'REDIS_URL',
  checkpointStore: 'CHECKPOINT_STORE',
  emitter: 'EMITTER',
  deadLetter: 'DEAD_LETTER',
  s3Bucket: 'S3_BUCKET',
  databaseUrl: 'DATABASE_URL',
  pgTable: 'PG_TABLE',
  dynamodbTable: 'DYNAMODB_TABLE',
  targetStream: 'TARGET_STREAM',
  deadLetterStream: 'DEAD_LETTER_STREAM',
  'health.stallMs': 'HEALTH_STALL_MS',
  'buffer.maxAgeMs': 'BUFFER_MAX_AGE_MS',
};

/** Every key the app reads; a key in the JSON file that is not here is reported (likely a typo). */
export const CONFIG_KEYS = [
  'CONNECTOR_STREAM',
  'CONNECTOR_APP_NAME',
  'KINESIS_ENDPOINT',
  'AWS_KINESIS_REGION',
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

export class ConfigValidationError extends KinesisError {
  constructor(readonly problems: string[]) {
    super(`invalid connector configuration (${problems.length}):\n  - ${problems.join('\n  - ')}`);
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
function leaseSettingsOf(r: Reader): Partial<LeaseSettings> {
  return {
    workerId: r.optional('LEASE_WORKER_ID'),
    failoverTimeMs: r.integer('LEASE_FAILOVER_MS', CONNECTOR_DEFAULTS.leases.failoverTimeMs, 100),
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

  const d = CONNECTOR_DEFAULTS;
  // Read in the order of the key table, so the problems come in that order.
  const sources = {
    stream: r.required('CONNECTOR_STREAM') ?? '',
    appName: r.string('CONNECTOR_APP_NAME', d.appName),
    kinesisEndpoint: r.url('KINESIS_ENDPOINT'),
    region: resolveRegion(undefined, {
      AWS_KINESIS_REGION: r.optional('AWS_KINESIS_REGION'),
      AWS_REGION: r.optional('AWS_REGION'),
    }),
    createStream: createStreamOf(r),
    startPosition: r.oneOf('START_POSITION', ['TRIM_HORIZON', 'LATEST'] as const, d.startPosition),
    pollIntervalMs: r.integer('POLL_INTERVAL_MS', d.pollIntervalMs),
    transformer: r.oneOf<TransformerKind>('TRANSFORMER', ['json', 'string'], d.transformer),
    checkpointStore: r.oneOf<CheckpointKind>(
      'CHECKPOINT_STORE',
      ['memory', 'redis', 'dynamodb', 'leases'],
      d.checkpointStore,
    ),
    redisUrl: r.url('REDIS_URL'),
    dynamodbEndpoint: r.url('DYNAMODB_ENDPOINT'),
    emitter: r.oneOf<EmitterKind>('EMITTER', ['s3', 'postgres', 'dynamodb', 'kinesis'], d.emitter),
    s3Endpoint: r.url('S3_ENDPOINT'),
    s3Bucket: r.optional('S3_BUCKET'),
    s3Prefix: r.string('S3_PREFIX', d.s3Prefix),
    s3Gzip: r.boolean('S3_GZIP', d.s3Gzip),
    databaseUrl: r.url('DATABASE_URL'),
    pgTable: r.string('PG_TABLE', d.pgTable),
    dynamodbTable: r.optional('DYNAMODB_TABLE'),
    targetStream: r.optional('TARGET_STREAM'),
    deadLetter: r.oneOf<DeadLetterKind>('DEAD_LETTER', ['file', 's3', 'kinesis'], d.deadLetter),
    deadLetterPath: r.string('DEAD_LETTER_PATH', d.deadLetterPath),
    deadLetterPrefix: r.string('DEAD_LETTER_PREFIX', d.deadLetterPrefix),
    deadLetterStream: r.optional('DEAD_LETTER_STREAM'),
    buffer: {
      maxRecords: r.integer('BUFFER_MAX_RECORDS', d.buffer.maxRecords),
      maxBytes: r.integer('BUFFER_MAX_BYTES', d.buffer.maxBytes),
      maxAgeMs: r.integer('BUFFER_MAX_AGE_MS', d.buffer.maxAgeMs),
    },
  };
  const app = {
    httpPort: r.integer('HTTP_PORT', APP_DEFAULTS.httpPort, 0, 65_535),
    httpHost: r.string('HTTP_HOST', APP_DEFAULTS.httpHost),
    metricsEnabled: r.boolean('METRICS_ENABLED', APP_DEFAULTS.metricsEnabled),
  };
  const options: ConnectorModuleOptions = {
    ...sources,
    health: {
      // Unset: derived from the buffer's age limit (withConnectorDefaults).
      stallMs: r.integer('HEALTH_STALL_MS', 0, 100) || undefined,
      maxLagMs: r.integer('HEALTH_MAX_LAG_MS', d.health.maxLagMs, 0),
    },
    shutdownGraceMs: r.integer('SHUTDOWN_GRACE_MS', d.shutdownGraceMs, 100),
    pgStatementTimeoutMs: r.integer('PG_STATEMENT_TIMEOUT_MS', d.pgStatementTimeoutMs, 1),
    awsRequestTimeoutMs: r.integer('AWS_REQUEST_TIMEOUT_MS', d.awsRequestTimeoutMs, 1),
    awsConnectTimeoutMs: r.integer('AWS_CONNECT_TIMEOUT_MS', d.awsConnectTimeoutMs, 1),
    statusIntervalMs: r.integer('STATUS_INTERVAL_MS', d.statusIntervalMs, 0),
  };
  const logLevel = r.oneOf<LogLevel>(
    'LOG_LEVEL',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    APP_DEFAULTS.logLevel,
  );
  if (options.checkpointStore === 'leases') options.leases = leaseSettingsOf(r);

  // The rules of the chosen parts are the library's; the problems named by their environment keys.
  const config: ConnectorConfig = { ...withConnectorDefaults(options), ...app, logLevel };
  for (const problem of connectorOptionProblems(config)) {
    r.problem(describeOptionProblem(problem, (option) => ENV_NAME[option] ?? option));
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
