/**
 * ConnectorModule's options: which built-in part runs (each `*Kind`), where it writes, and the limits. Defaults
 * in one place (CONNECTOR_DEFAULTS); the rules about which option a chosen part needs are checked once
 * (connectorOptionProblems), whatever the source: forRoot, a ConfigService factory, or the app's environment.
 */
import { hostname } from 'node:os';
import {
  DEFAULT_CONNECTION_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  forLog,
  LEASE_DEFAULTS,
  resolveRegion,
} from '../../../kinesis/src/index.js';
import { InvalidConnectorOptionsError } from '../connector.js';
import { quoteIdentifier } from '../identifiers.js';
import type { BufferLimits } from '../interfaces.js';
import { DEFAULT_BUFFER_LIMITS } from '../record-buffer.js';
import { redactCredentials } from '../redact.js';
import type { HealthSettings } from '../shard-health.js';

export type EmitterKind = 's3' | 'postgres' | 'dynamodb' | 'kinesis';
export type DeadLetterKind = 'file' | 's3' | 'kinesis';
export type CheckpointKind = 'memory' | 'redis' | 'dynamodb' | 'leases';
export type TransformerKind = 'json' | 'string';
export type { HealthSettings } from '../shard-health.js';

/**
 * checkpointStore 'leases': connectors of one appName share the stream's shards through the DynamoDB lease
 * table `<appName>-<stream>` (at dynamodbEndpoint), each reading only the shards it leases.
 */
export interface LeaseSettings {
  /** Unique per running instance. Default `<hostname>-<pid>` (stable across a restart in place, unlike the core's). */
  workerId: string;
  /** A dead instance's leases are taken after this long, ms (at least 100). Default: the core's (10 s). */
  failoverTimeMs: number;
}

/** Every option with a default; the rest (stream, the parts' destinations) in ConnectorModuleOptions. */
export interface ConnectorSettings {
  /** Scopes the checkpoints and the lease table (`<appName>-<stream>`); names the logger. */
  appName: string;
  /** Default: `AWS_KINESIS_REGION`, then `AWS_REGION`, else `us-east-1` (the core's resolveRegion). */
  region: string;
  /** Shard count of the source stream to create when missing; false: the stream must exist. */
  createStream: number | false;
  startPosition: 'TRIM_HORIZON' | 'LATEST';
  pollIntervalMs: number;
  transformer: TransformerKind;
  checkpointStore: CheckpointKind;
  emitter: EmitterKind;
  s3Prefix: string;
  s3Gzip: boolean;
  pgTable: string;
  deadLetter: DeadLetterKind;
  deadLetterPath: string;
  deadLetterPrefix: string;
  buffer: Required<BufferLimits>;
  /** When the service reports a shard problem; stallMs default: buffer.maxAgeMs + 60 s. */
  health: HealthSettings;
  /** The service's stop and the clients' close return within this, whatever the emitter does. */
  shutdownGraceMs: number;
  /** Postgres cancels a statement after this (and the pool gives up on it 1 s later). */
  pgStatementTimeoutMs: number;
  /** The Kinesis, S3 and DynamoDB clients: a request / connection with no answer fails (SDK retries apply). */
  awsRequestTimeoutMs: number;
  awsConnectTimeoutMs: number;
  /** Status log line interval; 0: none. */
  statusIntervalMs: number;
}

/** Stall threshold above the buffer's age limit: a buffer legitimately holds records that long. */
export const HEALTH_STALL_MARGIN_MS = 60_000;

/** The defaults of every connector option (health.stallMs: buffer.maxAgeMs + HEALTH_STALL_MARGIN_MS). */
export const CONNECTOR_DEFAULTS = Object.freeze({
  appName: 'kinesis-connector',
  createStream: false,
  startPosition: 'TRIM_HORIZON',
  pollIntervalMs: 200,
  transformer: 'json',
  checkpointStore: 'memory',
  emitter: 's3',
  s3Prefix: '',
  s3Gzip: false,
  pgTable: 'kinesis_records',
  deadLetter: 'file',
  deadLetterPath: './.data/dead-letters.jsonl',
  deadLetterPrefix: 'dead-letters',
  buffer: DEFAULT_BUFFER_LIMITS,
  health: Object.freeze({ maxLagMs: 600_000 }),
  leases: Object.freeze({ failoverTimeMs: LEASE_DEFAULTS.failoverTimeMs }),
  shutdownGraceMs: 20_000,
  pgStatementTimeoutMs: 30_000,
  awsRequestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  awsConnectTimeoutMs: DEFAULT_CONNECTION_TIMEOUT_MS,
  statusIntervalMs: 5_000,
} as const satisfies Omit<ConnectorSettings, 'region' | 'health' | 'buffer'> & Record<string, unknown>);

/** What forRoot / forRootAsync's factory give: the stream, and any setting to change. */
export interface ConnectorModuleOptions extends Partial<Omit<ConnectorSettings, 'buffer' | 'health'>> {
  stream: string;
  kinesisEndpoint?: string;
  buffer?: BufferLimits;
  health?: Partial<HealthSettings>;
  /** With checkpointStore 'leases'. */
  leases?: Partial<LeaseSettings>;
  /** checkpointStore 'redis'. */
  redisUrl?: string;
  /** DynamoDB (checkpointStore 'dynamodb' or 'leases', emitter 'dynamodb'): default the AWS endpoint. */
  dynamodbEndpoint?: string;
  /** emitter or deadLetter 's3': the bucket (created when missing), at s3Endpoint (default AWS). */
  s3Endpoint?: string;
  s3Bucket?: string;
  /** emitter 'postgres': a connection URL; the table pgTable is created when missing. */
  databaseUrl?: string;
  /** emitter 'dynamodb': created when missing, keyed by `id` (S) = provenanceKey. */
  dynamodbTable?: string;
  /** emitter 'kinesis': the stream written to. */
  targetStream?: string;
  /** deadLetter 'kinesis'. */
  deadLetterStream?: string;
}

/** The options with every default applied (what the parts and the service read, under CONNECTOR_OPTIONS). */
export interface ResolvedConnectorOptions
  extends ConnectorSettings, Omit<ConnectorModuleOptions, keyof ConnectorSettings | 'leases'> {
  leases?: LeaseSettings;
}

/** One option problem; rendered by the caller with its own names for the options (e.g. environment keys). */
export type OptionProblem =
  | { option: OptionName; requiredWhen: { option: OptionName; is: string } }
  | { option: OptionName; mustBe: string; value: string }
  | { option: OptionName; mustExceed: { option: OptionName; value: number }; value: number };

export type OptionName = keyof ConnectorModuleOptions | 'buffer.maxAgeMs' | 'health.stallMs';

/** ConnectorModule's options do not fit the parts they choose; each problem named, none repeated. */
export class ConnectorOptionsError extends InvalidConnectorOptionsError {
  constructor(readonly problems: string[]) {
    super(`invalid connector options (${problems.length}):\n  - ${problems.join('\n  - ')}`);
  }
}

/** Applies the defaults (no validation: see connectorOptionProblems). */
export function withConnectorDefaults(o: ConnectorModuleOptions): ResolvedConnectorOptions {
  const d = CONNECTOR_DEFAULTS;
  const defined = <O extends object>(v: O | undefined) =>
    Object.fromEntries(Object.entries(v ?? {}).filter(([, x]) => x !== undefined)) as Partial<O>;
  const buffer = { ...d.buffer, ...defined(o.buffer) };
  const resolved: ResolvedConnectorOptions = {
    ...d,
    ...defined(o),
    stream: o.stream,
    region: resolveRegion(o.region),
    buffer,
    health: {
      stallMs: buffer.maxAgeMs + HEALTH_STALL_MARGIN_MS,
      ...d.health,
      ...defined(o.health),
    },
    leases: undefined,
  };
  if (resolved.checkpointStore === 'leases') {
    resolved.leases = {
      workerId: `${hostname()}-${process.pid}`,
      ...d.leases,
      ...defined(o.leases),
    };
  } else delete resolved.leases;
  return resolved;
}

/** The parts whose built-in kind an option chooses: one replaced by the user needs none of that kind's options. */
export type ChosenPart = 'emitter' | 'deadLetter' | 'checkpointStore';

/**
 * Which options the chosen parts need, and which values cannot work; empty when the options fit. A part in
 * `replaced` (ConnectorModule's `parts`) is never built: its kind's options are not required.
 */
export function connectorOptionProblems(
  o: ResolvedConnectorOptions,
  replaced: ReadonlyArray<string> = [],
): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const need = (option: OptionName, when: ChosenPart, is: string) => {
    if (replaced.includes(when)) return;
    if (o[when] === is && o[option as keyof ResolvedConnectorOptions] === undefined) {
      problems.push({ option, requiredWhen: { option: when, is } });
    }
  };
  need('redisUrl', 'checkpointStore', 'redis');
  need('s3Bucket', 'emitter', 's3');
  need('s3Bucket', 'deadLetter', 's3');
  // Caught here rather than as a 400 from CreateBucket at start.
  if (o.s3Bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.s3Bucket)) {
    problems.push({
      option: 's3Bucket',
      mustBe: 'a bucket name (3-63 lowercase letters, digits, dots, hyphens)',
      value: o.s3Bucket,
    });
  }
  if (o.emitter === 'postgres' && !replaced.includes('emitter')) {
    need('databaseUrl', 'emitter', 'postgres');
    try {
      quoteIdentifier(o.pgTable);
    } catch {
      problems.push({
        option: 'pgTable',
        mustBe: 'a SQL identifier (name or schema.name)',
        value: o.pgTable,
      });
    }
  }
  need('dynamodbTable', 'emitter', 'dynamodb');
  need('targetStream', 'emitter', 'kinesis');
  need('deadLetterStream', 'deadLetter', 'kinesis');
  if (o.health.stallMs <= o.buffer.maxAgeMs) {
    problems.push({
      option: 'health.stallMs',
      mustExceed: { option: 'buffer.maxAgeMs', value: o.buffer.maxAgeMs },
      value: o.health.stallMs,
    });
  }
  return problems;
}

/** A problem as text, options named by `nameOf` (default: the option names); a value is quoted redacted, cut. */
export function describeOptionProblem(
  p: OptionProblem,
  nameOf: (option: OptionName) => string = (option) => option,
): string {
  if ('requiredWhen' in p) {
    return `${nameOf(p.option)} is required when ${nameOf(p.requiredWhen.option)}=${p.requiredWhen.is}`;
  }
  if ('mustExceed' in p) {
    const other = p.mustExceed;
    return `${nameOf(p.option)} (${p.value}) must be greater than ${nameOf(other.option)} (${other.value})`;
  }
  return invalidValueText(nameOf(p.option), p.mustBe, p.value);
}

/** `<name> must be <what>, got "<value>"`: the value with any URL credentials removed, cut for a log line. */
export function invalidValueText(name: string, what: string, value: string): string {
  return `${name} must be ${what}, got ${JSON.stringify(forLog(redactCredentials(value), 80))}`;
}

/**
 * Defaults applied and checked: a ConnectorOptionsError lists every problem at once. `replaced`: the parts the
 * user gives instead of the built-in ones (their options are not required).
 */
export function resolveConnectorOptions(
  o: ConnectorModuleOptions,
  replaced: ReadonlyArray<string> = [],
): ResolvedConnectorOptions {
  const resolved = withConnectorDefaults(o);
  const problems = connectorOptionProblems(resolved, replaced).map((p) => describeOptionProblem(p));
  if (!resolved.stream) problems.unshift('stream is required');
  if (problems.length > 0) throw new ConnectorOptionsError(problems);
  return resolved;
}
