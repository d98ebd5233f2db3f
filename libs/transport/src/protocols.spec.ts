import { silentLogger, type KinesisRecord } from '../../kinesis/src/index.js';
import { DedupeWindow } from '../../kinesis/src/untrusted/dedupe-window.js';
import { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import { ActIntake } from './act-intake.js';
import { NativeClientProtocol } from './native/native-client-protocol.js';
import { NativeServerProtocol } from './native/native-server-protocol.js';
import { EnvelopeSigner, SigningOptionsError } from './native/signing.js';
import { clientProtocol, serverProtocols } from './protocols.js';
import { SenecaClientProtocol } from './seneca/seneca-client-protocol.js';
import { SenecaServerProtocol } from './seneca/seneca-server-protocol.js';
import {
  clientSettings,
  serverSettings,
  type ClientKinesisOptions,
  type ServerKinesisOptions,
} from './shared/options.js';
import type { ClientProtocolContext, ServerProtocolContext } from './shared/protocol.js';
import { newClientStats, newServerStats } from './shared/types.js';

const signing = { keys: { k: 'k'.repeat(32) } };
const unused = () => {
  throw new Error('not called');
};

const serverContext = (options: ServerKinesisOptions): ServerProtocolContext => ({
  options: serverSettings(options),
  stats: newServerStats(),
  logger: silentLogger,
  warnings: new WarnThrottle(silentLogger),
  dedupe: new DedupeWindow(),
  handler: unused,
  normalizePattern: unused,
  runRequest: unused,
  runEvent: unused,
  runEventWithRetries: unused,
  serialize: unused,
  deserialize: unused,
  lateReply: unused,
  reportError: unused,
});

const clientContext = (options: ClientKinesisOptions): ClientProtocolContext => ({
  options: clientSettings(options),
  stats: newClientStats(),
  logger: silentLogger,
  connect: unused,
  normalizePattern: unused,
  serialize: unused,
  deserialize: unused,
  onThrottled: unused,
  reportError: unused,
});

const kinds = (list: readonly object[]) => list.map((p) => p.constructor);
const record = (data: unknown): KinesisRecord => ({
  data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
  partitionKey: 'k',
  sequenceNumber: '1',
  subSequenceNumber: 0,
  aggregated: false,
  approximateArrivalTimestamp: new Date(),
});
const senecaAct = {
  id: 'aaaaaaaaaaaa/bbbbbbbbbbbb',
  kind: 'act',
  origin: 'o',
  act: { role: 'x' },
  sync: true,
};
const nativeRequest = { v: 1, id: 'id-1', pattern: 'sum', data: [1, 2] };

describe('the protocols `protocol` chooses', () => {
  it('server: auto asks Seneca (by shape) then native; native and seneca serve alone', () => {
    expect(kinds(serverProtocols(serverContext({})).list)).toEqual([
      SenecaServerProtocol,
      NativeServerProtocol,
    ]);
    const native = serverProtocols(serverContext({ protocol: 'native' }));
    expect({ kinds: kinds(native.list), seneca: native.seneca }).toEqual({
      kinds: [NativeServerProtocol],
      seneca: undefined,
    });
    const seneca = serverProtocols(serverContext({ protocol: 'seneca' }));
    expect(kinds(seneca.list)).toEqual([SenecaServerProtocol]);
    expect(seneca.seneca).toBe(seneca.list[0]);
  });

  it('server: signing comes with a signer, and is refused with protocol seneca (Seneca acts carry none)', () => {
    expect(serverProtocols(serverContext({ signing })).signer).toBeInstanceOf(EnvelopeSigner);
    expect(serverProtocols(serverContext({})).signer).toBeUndefined();
    expect(() => serverProtocols(serverContext({ protocol: 'seneca', signing }))).toThrow(
      SigningOptionsError,
    );
  });

  it('client: native by default, seneca when asked; signing with seneca is refused', () => {
    expect(clientProtocol(clientContext({})).protocol).toBeInstanceOf(NativeClientProtocol);
    const seneca = clientProtocol(clientContext({ protocol: 'seneca' }));
    expect(seneca.protocol).toBeInstanceOf(SenecaClientProtocol);
    expect(seneca.seneca).toBe(seneca.protocol);
    expect(() => clientProtocol(clientContext({ protocol: 'seneca', signing }))).toThrow(SigningOptionsError);
  });
});

describe('ActIntake', () => {
  const intake = (options: ServerKinesisOptions) => {
    const context = serverContext(options);
    const { list, signer } = serverProtocols(context);
    const { stats, warnings } = context;
    return { stats, intake: new ActIntake({ protocols: list, signer, actStream: 'act', stats, warnings }) };
  };

  it('hands a record to the protocol of its shape (auto), or to the only one', () => {
    const auto = intake({}).intake;
    expect(auto.admit(record(senecaAct), 's')?.protocol).toBeInstanceOf(SenecaServerProtocol);
    expect(auto.admit(record(nativeRequest), 's')?.protocol).toBeInstanceOf(NativeServerProtocol);
    const native = intake({ protocol: 'native' }).intake;
    expect(native.admit(record(senecaAct), 's')?.protocol).toBeInstanceOf(NativeServerProtocol);
    const seneca = intake({ protocol: 'seneca' }).intake;
    expect(seneca.admit(record(nativeRequest), 's')?.protocol).toBeInstanceOf(SenecaServerProtocol);
  });

  it('counts what is not a JSON object as invalid, and refuses unsigned records of any shape with signing', () => {
    const plain = intake({});
    expect([plain.intake.admit(record('nope'), 's'), plain.intake.admit(record([1]), 's')]).toEqual([
      undefined,
      undefined,
    ]);
    expect(plain.stats.invalid).toBe(2);
    const signed = intake({ signing });
    expect(signed.intake.admit(record(senecaAct), 's')).toBeUndefined();
    expect(signed.intake.admit(record(nativeRequest), 's')).toBeUndefined();
    expect({ unsigned: signed.stats.unsigned, invalid: signed.stats.invalid }).toEqual({
      unsigned: 2,
      invalid: 0,
    });
  });
});
