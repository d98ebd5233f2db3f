import { MemoryCheckpointStore } from '../../kinesis/src/index.js';
import { SenecaPool } from '../test/seneca-fixtures.js';
import {
  KinesisStream,
  SenecaRecordProcessor,
  TransportUtilsMissingError,
  kinesisTransport,
} from './index.js';
import { resolveOptions, streamOverrides } from './options.js';

describe('Seneca kinesis transport options', () => {
  it('defaults: act/res streams, env region, endpoint and shard count, LATEST, core parts', () => {
    const env = {
      AWS_KINESIS_REGION: 'eu-west-1',
      KINESIS_ENDPOINT: 'http://127.0.0.1:4567',
      AWS_KINESIS_SHARDS: '3',
    };
    const o = resolveOptions({ createStreams: true }, env);
    expect(o).toMatchObject({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4567',
      shards: 3,
      actStream: 'act',
      resStream: 'res',
      startPosition: { type: 'LATEST' },
      pollIntervalMs: 200,
      maxActsInFlight: 64,
      exposeErrors: false,
      dedupeMaxEntries: 100_000,
      Stream: KinesisStream,
      RecordProcessor: SenecaRecordProcessor,
    });
    expect(() => resolveOptions({ maxActsInFlight: 0 }, {})).toThrow(
      'maxActsInFlight must be a positive integer',
    );
    expect(() => resolveOptions({ dedupeMaxEntries: 1.5 }, {})).toThrow(RangeError);
    expect(resolveOptions({}, {})).toMatchObject({
      region: 'us-east-1',
      endpoint: undefined,
      createStreams: false,
    });
    expect(resolveOptions({ createStreams: true }, {}).shards).toBe(2);
  });

  it('takes the region as the core does: option, AWS_KINESIS_REGION, AWS_REGION, us-east-1', () => {
    const env = { AWS_KINESIS_REGION: 'eu-west-1', AWS_REGION: 'ap-south-1' };
    expect(resolveOptions({ region: 'us-west-2' }, env).region).toBe('us-west-2');
    expect(resolveOptions({}, env).region).toBe('eu-west-1');
    expect(resolveOptions({}, { AWS_REGION: 'ap-south-1' }).region).toBe('ap-south-1');
    expect(resolveOptions({}, {}).region).toBe('us-east-1');
  });

  it('starts at TRIM_HORIZON when a checkpoint store is given, unless told otherwise', () => {
    const checkpointStore = new MemoryCheckpointStore();
    expect(resolveOptions({ checkpointStore }, {}).startPosition).toEqual({ type: 'TRIM_HORIZON' });
    expect(resolveOptions({ checkpointStore, startPosition: { type: 'LATEST' } }, {}).startPosition).toEqual({
      type: 'LATEST',
    });
  });

  it('refuses a bad shard count only when streams are to be created', () => {
    expect(() => resolveOptions({ createStreams: true }, { AWS_KINESIS_SHARDS: 'two' })).toThrow(RangeError);
    expect(() => resolveOptions({}, { AWS_KINESIS_SHARDS: 'two' })).not.toThrow();
  });

  it('takes actStream, resStream and pollIntervalMs from listen/client arguments', () => {
    const o = resolveOptions({ actStream: 'a', resStream: 'r', pollIntervalMs: 100 }, {});
    expect(streamOverrides(o, { type: 'kinesis' })).toEqual({
      actStream: 'a',
      resStream: 'r',
      pollIntervalMs: 100,
    });
    expect(streamOverrides(o, { actStream: 'a2', resStream: 'r2', pollIntervalMs: 10 })).toEqual({
      actStream: 'a2',
      resStream: 'r2',
      pollIntervalMs: 10,
    });
  });
});

describe('Seneca kinesis plugin', () => {
  it('fails to load, with a typed error, when Seneca has no seneca-transport utils', async () => {
    const pool = new SenecaPool({});
    const errors: Error[] = [];
    const seneca = pool.bare({ legacy: { transport: false }, timeout: 300 }); // a dead instance closes at its act timeout
    seneca.error((error: Error) => errors.push(error));
    seneca.use(kinesisTransport);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors.map((e) => e.message).join()).toContain(new TransportUtilsMissingError().message);
    await pool.closeAll();
  });
});
