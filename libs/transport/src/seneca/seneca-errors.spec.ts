import 'reflect-metadata';
import { jest } from '@jest/globals';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { SENECA_ERROR_TEXTS } from '../../../seneca/src/wire/index.js';
import { KinesisContext } from '../shared/kinesis.context.js';
import { SenecaContext } from './seneca-context.js';
import { SenecaActError, senecaError, toSenecaError } from './seneca-errors.js';
import { SenecaExceptionFilter } from './seneca-exception.filter.js';

const args = {
  shardId: 's',
  sequenceNumber: '1',
  subSequenceNumber: 0,
  partitionKey: 'seneca_any_act',
  pattern: '{"role":"x"}',
  approximateArrivalTimestamp: new Date(),
  id: 'a/b',
  metadata: {},
};
const act = {
  id: 'a/b',
  mi: 'a',
  tx: 'b',
  origin: 'o',
  track: ['o'],
  custom: undefined,
  sync: true,
  topic: 'seneca_any',
  format: 'legacy' as const,
};
const context = (seneca: boolean) => (seneca ? new SenecaContext(args, act) : new KinesisContext(args));

function rpcHost(ctx: KinesisContext) {
  const host = new ExecutionContextHost([{}, ctx]);
  host.setType('rpc');
  return host;
}

describe('Seneca errors', () => {
  it('maps what Nest hands the transport to Seneca errors', () => {
    expect(toSenecaError({ code: 'KABOOM', message: 'kaboom', details: { x: 1 } })).toEqual({
      code: 'KABOOM',
      message: 'kaboom',
      name: 'Error',
      details: { x: 1 },
      seneca: true,
    });
    // RpcException('text') and Nest's answer to an unknown error: no code, so act_execute.
    expect(toSenecaError({ status: 'error', message: 'text' })).toMatchObject({
      code: 'act_execute',
      message: 'text',
    });
    expect(toSenecaError(Object.assign(new TypeError('bad'), { code: 'E_BAD' }))).toMatchObject({
      code: 'E_BAD',
      message: 'bad',
      name: 'TypeError',
    });
    expect(toSenecaError({ code: 404, message: 'nope' }).code).toBe('404');
    expect(toSenecaError('plain')).toMatchObject({ code: 'act_execute', message: 'plain' });
    expect(toSenecaError(undefined)).toMatchObject({ code: 'act_execute', message: 'Action failed.' });
    expect(senecaError('message_loop').message).toMatch(/looping back/);
    // The texts are the wire module's, the ones the Seneca plugin's listener replies with too.
    for (const code of Object.keys(SENECA_ERROR_TEXTS) as (keyof typeof SENECA_ERROR_TEXTS)[])
      expect(senecaError(code).message).toBe(SENECA_ERROR_TEXTS[code]);
  });

  it('gives the caller an error with the remote code, message and details', () => {
    const error = new SenecaActError('a/b', {
      code: 'KABOOM',
      message: 'kaboom',
      name: 'TypeError',
      details: { x: 1 },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      code: 'KABOOM',
      message: 'kaboom',
      remoteName: 'TypeError',
      details: { x: 1 },
      id: 'a/b',
    });
    expect(new SenecaActError('a/b', {})).toMatchObject({ code: 'act_execute', message: 'Action failed.' });
  });

  describe('SenecaExceptionFilter', () => {
    const filter = new SenecaExceptionFilter();
    let logged: ReturnType<typeof jest.spyOn>;
    beforeEach(() => {
      logged = jest
        .spyOn((BaseRpcExceptionFilter as unknown as { logger: { error(e: unknown): void } }).logger, 'error')
        .mockImplementation(() => undefined) as any;
    });
    afterEach(() => logged.mockRestore());
    const caught = (exception: unknown, ctx: KinesisContext, f = filter) =>
      firstValueFrom(f.catch(exception, rpcHost(ctx))).catch((e: unknown) => e);

    it("gives Seneca callers a thrown Error's code (a safe identifier) and 'Internal error', nothing else", async () => {
      const error = Object.assign(new RangeError('SELECT secret FROM t'), {
        code: 'E_FAR',
        details: { s: 1 },
      });
      expect(await caught(error, context(true))).toEqual({
        message: 'Internal error',
        name: 'Error',
        code: 'E_FAR',
      });
      expect(logged).toHaveBeenCalledWith(error); // logged as Nest logs an unknown error
      const unsafe = Object.assign(new Error('x'), { code: 'no spaces\nor newlines' });
      expect(await caught(unsafe, context(true))).toEqual({
        message: 'Internal error',
        name: 'Error',
        code: undefined,
      });
    });

    it("with exposeErrors, passes a thrown Error's message, name, code and details on", async () => {
      const exposing = new SenecaExceptionFilter({ exposeErrors: true });
      const error = Object.assign(new RangeError('too far'), { code: 'E_FAR', details: { max: 3 } });
      expect(await caught(error, context(true), exposing)).toEqual({
        message: 'too far',
        name: 'RangeError',
        code: 'E_FAR',
        details: { max: 3 },
      });
      expect(logged).toHaveBeenCalledWith(error); // logged as Nest logs an unknown error
    });

    it("keeps Nest's behaviour for native callers and for RpcExceptions", async () => {
      expect(await caught(new Error('secret'), context(false))).toEqual({
        status: 'error',
        message: 'Internal server error',
      });
      expect(await caught(new RpcException({ code: 'E', message: 'm' }), context(true))).toEqual({
        code: 'E',
        message: 'm',
      });
    });
  });
});
