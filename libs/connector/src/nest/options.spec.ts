/** ConnectorModule's options: the defaults in one object, the rules of the chosen parts, named problems. */
import { hostname } from 'node:os';
import { DEFAULT_BUFFER_LIMITS } from '../record-buffer.js';
import {
  CONNECTOR_DEFAULTS,
  connectorOptionProblems,
  describeOptionProblem,
  resolveConnectorOptions,
  withConnectorDefaults,
  ConnectorOptionsError,
} from './options.js';

describe('connector options', () => {
  it('applies CONNECTOR_DEFAULTS; the stall threshold follows the buffer age; no leases unless chosen', () => {
    const o = resolveConnectorOptions({ stream: 'orders', s3Bucket: 'archive', region: 'eu-west-1' });
    expect(o).toMatchObject({
      stream: 'orders',
      region: 'eu-west-1',
      appName: CONNECTOR_DEFAULTS.appName,
      emitter: 's3',
      checkpointStore: 'memory',
      buffer: DEFAULT_BUFFER_LIMITS,
      health: { stallMs: DEFAULT_BUFFER_LIMITS.maxAgeMs + 60_000, maxLagMs: 600_000 },
    });
    expect(o).not.toHaveProperty('leases');
    const quick = withConnectorDefaults({ stream: 's', buffer: { maxAgeMs: 1_000, maxRecords: undefined } });
    expect(quick.buffer).toEqual({ ...DEFAULT_BUFFER_LIMITS, maxAgeMs: 1_000 });
    expect(quick.health.stallMs).toBe(61_000);
  });

  it("checkpointStore 'leases': the worker id defaults to <hostname>-<pid>", () => {
    expect(withConnectorDefaults({ stream: 's', checkpointStore: 'leases' }).leases).toEqual({
      workerId: `${hostname()}-${process.pid}`,
      failoverTimeMs: 10_000,
    });
    expect(
      withConnectorDefaults({ stream: 's', checkpointStore: 'leases', leases: { workerId: 'a' } }).leases,
    ).toEqual({ workerId: 'a', failoverTimeMs: 10_000 });
  });

  it('finds what the chosen parts lack, named by the caller', () => {
    const o = withConnectorDefaults({
      stream: 's',
      checkpointStore: 'redis',
      emitter: 'kinesis',
      deadLetter: 's3',
      s3Bucket: 'Not_A_Bucket',
      buffer: { maxAgeMs: 5_000 },
      health: { stallMs: 5_000 },
    });
    const env: Record<string, string> = { redisUrl: 'REDIS_URL', checkpointStore: 'CHECKPOINT_STORE' };
    expect(connectorOptionProblems(o).map((p) => describeOptionProblem(p, (n) => env[n] ?? n))).toEqual([
      'REDIS_URL is required when CHECKPOINT_STORE=redis',
      's3Bucket must be a bucket name (3-63 lowercase letters, digits, dots, hyphens), got "Not_A_Bucket"',
      'targetStream is required when emitter=kinesis',
      'health.stallMs (5000) must be greater than buffer.maxAgeMs (5000)',
    ]);
    expect(() => resolveConnectorOptions({ stream: 's', emitter: 'dynamodb' })).toThrow(
      new ConnectorOptionsError(['dynamodbTable is required when emitter=dynamodb']),
    );
  });
});
