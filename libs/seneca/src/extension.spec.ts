import { Producer, type KinesisRecord, type ProducerRecord } from '../../kinesis/src/index.js';
import { KINESIS_EMULATORS, kinesisEndpoint, uniqueName } from '../../../test/support/harness.js';
import { readAll } from '../../../test/support/stream-reader.js';
import { act, actError, mathActions, ready, senecaStreams, testOptions } from '../test/seneca-fixtures.js';
import {
  KinesisStream,
  SenecaRecordProcessor,
  createKinesisTransport,
  kinesisTransport,
  type ProducerFactory,
  type LegacySenecaAct,
} from './index.js';

/** Every call the subclassed Stream saw, in order. */
const streamCalls: Array<{ call: string; stream: string; partitionKey?: string }> = [];

class RecordingStream extends KinesisStream {
  override async put(partitionKey: string, data: Buffer): Promise<void> {
    streamCalls.push({ call: 'put', stream: this.name, partitionKey });
    await super.put(partitionKey, data);
  }
  override async close(): Promise<void> {
    streamCalls.push({ call: 'close', stream: this.name });
    await super.close();
  }
}

class StampingProcessor extends SenecaRecordProcessor {
  protected override decode(record: KinesisRecord): LegacySenecaAct {
    const request = super.decode(record);
    request.act.stamp = `custom processor on ${this.context.shardId}`;
    return request;
  }
}

describe.each(KINESIS_EMULATORS)('Seneca kinesis transport, replaceable parts on %s', (emulator) => {
  const streams = senecaStreams(emulator);
  beforeEach(() => {
    streamCalls.length = 0;
  });

  it('uses the Stream class given as transport.kinesis.Stream, and closes it with seneca.close()', async () => {
    const { pool, actStream, resStream } = streams();
    await pool.listener(mathActions(), {}, { Stream: RecordingStream });
    const caller = await pool.client({}, { Stream: RecordingStream });

    expect(await act(caller, { role: 'math', cmd: 'sum', left: 1, right: 1 })).toEqual({ answer: 2 });
    expect(streamCalls).toEqual([
      { call: 'put', stream: actStream, partitionKey: 'seneca_any_act' },
      { call: 'put', stream: resStream, partitionKey: 'seneca_any_res' },
    ]);
    await pool.closeAll();
    expect(
      streamCalls
        .filter((c) => c.call === 'close')
        .map((c) => c.stream)
        .sort(),
    ).toEqual(
      // The listener holds both streams (reads act, writes res); the client too (writes act, reads res).
      [actStream, actStream, resStream, resStream].sort(),
    );
  });

  it('puts through the producer createProducer returns: no explicit hash key; flushed and closed on close', async () => {
    const { pool, actStream, resStream } = streams();
    const puts: Array<ProducerRecord & { stream: string }> = [];
    const closed: string[] = [];
    const createProducer: ProducerFactory = (options) => {
      const producer = new Producer(options);
      return {
        put: (record) => {
          puts.push({ ...record, stream: options.streamName });
          return producer.put(record);
        },
        flush: () => producer.flush(),
        close: () => {
          closed.push(options.streamName);
          return producer.close();
        },
      };
    };
    await pool.listener(mathActions(), {}, { createProducer });
    const caller = await pool.client({}, { createProducer });

    expect(await act(caller, { role: 'math', cmd: 'sum', left: 2, right: 3 })).toEqual({ answer: 5 });
    expect(
      puts.map(({ stream, partitionKey, explicitHashKey }) => ({ stream, partitionKey, explicitHashKey })),
    ).toEqual([
      { stream: actStream, partitionKey: 'seneca_any_act', explicitHashKey: undefined },
      { stream: resStream, partitionKey: 'seneca_any_res', explicitHashKey: undefined },
    ]);
    expect(JSON.parse(String(puts[0].data))).toMatchObject({ kind: 'act', act: { left: 2, right: 3 } });
    expect(JSON.parse(String(puts[1].data))).toMatchObject({ kind: 'res', res: { answer: 5 } });
    await pool.closeAll();
    expect(closed.sort()).toEqual([actStream, resStream].sort());
  });

  it('fails a call at once, with its own code, when its request cannot be put', async () => {
    const { pool } = streams();
    const failing: ProducerFactory = () => ({
      put: () => Promise.reject(new Error('injected put failure')),
      flush: async () => {},
      close: async () => {},
    });
    const caller = await pool.client({}, { createProducer: failing });

    const started = Date.now();
    const error = await actError(caller, { role: 'math', cmd: 'sum', left: 1, right: 1 });
    expect(Date.now() - started).toBeLessThan(5_000); // the act timeout is 15 s
    expect(error.code).toBe('kinesis_request_not_sent');
    expect(error.message).toContain('injected put failure');
  });

  it('hands records to the RecordProcessor class given', async () => {
    const { pool } = streams();
    const calls: Array<{ msg: any; meta: any }> = [];
    await pool.listener(mathActions(calls), {}, { RecordProcessor: StampingProcessor });
    const caller = await pool.client();

    expect(await act(caller, { role: 'math', cmd: 'sum', left: 4, right: 4 })).toEqual({ answer: 8 });
    expect(calls[0].msg.stamp).toMatch(/^custom processor on shardId-/);
  });

  it('takes plain options from seneca.use and object options bound with createKinesisTransport', async () => {
    const { client, pool, actStream, resStream } = streams();
    const listener = pool.bare().use(kinesisTransport, {
      endpoint: kinesisEndpoint(emulator),
      region: 'us-east-1',
      actStream,
      resStream,
      createStreams: true,
      pollIntervalMs: 50,
    });
    mathActions()(listener);
    await ready(listener.listen({ type: 'kinesis' }));
    const caller = await ready(
      pool
        .bare()
        .use(createKinesisTransport(testOptions(client, actStream, resStream)))
        .client({ type: 'kinesis' }),
    );

    expect(await act(caller, { role: 'math', cmd: 'sum', left: 6, right: 7 })).toEqual({ answer: 13 });
  });

  it('lets seneca.listen/client arguments name other streams', async () => {
    const { client, pool } = streams();
    const [otherAct, otherRes] = [uniqueName('seneca-act'), uniqueName('seneca-res')];
    await pool.listener(mathActions(), { actStream: otherAct, resStream: otherRes });
    const caller = await pool.client({ actStream: otherAct, resStream: otherRes });

    expect(await act(caller, { role: 'math', cmd: 'sum', left: 1, right: 9 })).toEqual({ answer: 10 });
    expect(await readAll(client, otherAct)).toHaveLength(1);
    expect(await readAll(client, otherRes)).toHaveLength(1);
  });
});
