/**
 * Exceptions and Nest exception filters over Kinesis: an RpcException's error object reaches the caller as
 * thrown (sync, async, from an Observable); a @Catch filter for this transport reshapes errors with the
 * KinesisContext; a BaseRpcExceptionFilter subclass maps HTTP exceptions; a global filter applies where a
 * handler has none of its own.
 */
import 'reflect-metadata';
import {
  Catch,
  Controller,
  HttpException,
  Module,
  NotFoundException,
  UseFilters,
  type ArgumentsHost,
  type INestApplicationContext,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { BaseRpcExceptionFilter, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { firstValueFrom, throwError, type Observable } from 'rxjs';
import { KinesisContext, type ClientKinesis } from '../../libs/transport/src/index.js';
import { caller, oneShardStreams, serve, type RunningService, type StreamPair } from './nest-fixtures.js';

class OutOfStockError extends Error {
  constructor(readonly sku: string) {
    super(`${sku} is out of stock`);
  }
}

/** This transport's filter: the caller learns where the failing request was read (pattern, shard, request id). */
@Catch(RpcException)
class KinesisRpcFilter implements RpcExceptionFilter<RpcException> {
  catch(exception: RpcException, host: ArgumentsHost): Observable<never> {
    const ctx = host.switchToRpc().getContext();
    const error = exception.getError();
    if (!(ctx instanceof KinesisContext)) return throwError(() => error);
    return throwError(() => ({
      error,
      pattern: ctx.getPattern(),
      shardId: ctx.getShardId(),
      requestId: ctx.getId(),
    }));
  }
}

/** HTTP exceptions thrown by shared services become RPC errors with their status; the rest: Nest's handling. */
@Catch()
class HttpToRpcFilter extends BaseRpcExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<any> {
    if (exception instanceof HttpException)
      return super.catch(
        new RpcException({ status: exception.getStatus(), message: exception.message }),
        host,
      );
    return super.catch(exception, host);
  }
}

/** The app-wide filter: domain errors get a code instead of Nest's `Internal server error`. */
@Catch(OutOfStockError)
class DomainErrorFilter implements RpcExceptionFilter<OutOfStockError> {
  catch(exception: OutOfStockError): Observable<never> {
    return throwError(() => ({ code: 'E_OUT_OF_STOCK', sku: exception.sku }));
  }
}

@Controller()
class FailingController {
  @MessagePattern('rpc.object')
  rpcObject(): never {
    throw new RpcException({ code: 'E_LIMIT', details: { limit: 10, asked: 12 } });
  }

  @MessagePattern('rpc.string')
  async rpcString(): Promise<never> {
    throw new RpcException('limit exceeded');
  }

  @MessagePattern('rpc.observable')
  rpcObservable(): Observable<never> {
    return throwError(() => new RpcException({ code: 'E_LATE' }));
  }

  @MessagePattern('filtered.rpc')
  @UseFilters(KinesisRpcFilter)
  filteredRpc(): never {
    throw new RpcException({ code: 'E_DENIED' });
  }

  @MessagePattern('order.find')
  @UseFilters(HttpToRpcFilter)
  find(@Payload() { id }: { id: number }) {
    if (id === 7) return { id };
    throw new NotFoundException(`order ${id} not found`);
  }

  @MessagePattern('order.broken')
  @UseFilters(HttpToRpcFilter)
  broken(): never {
    throw new TypeError('cannot read properties of undefined');
  }

  @MessagePattern('stock.reserve')
  reserve(@Payload() { sku }: { sku: string }): never {
    throw new OutOfStockError(sku);
  }

  @MessagePattern('stock.reserve.local')
  @UseFilters(HttpToRpcFilter)
  reserveLocal(@Payload() { sku }: { sku: string }): never {
    throw new OutOfStockError(sku);
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('Exceptions and Nest exception filters over the Kinesis transporter', () => {
  let streams: StreamPair;
  let service: RunningService;
  let app: INestApplicationContext;
  let client: ClientKinesis;
  const call = (pattern: string, data: unknown = {}) => firstValueFrom(client.send(pattern, data));

  beforeAll(async () => {
    streams = await oneShardStreams('filters');
    service = await serve(FailingModule, streams, new DomainErrorFilter());
    ({ app, client } = await caller(streams));
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it("an RpcException's error reaches the caller as thrown: object, string, from an Observable", async () => {
    await expect(call('rpc.object')).rejects.toEqual({ code: 'E_LIMIT', details: { limit: 10, asked: 12 } });
    await expect(call('rpc.string')).rejects.toEqual({ status: 'error', message: 'limit exceeded' });
    await expect(call('rpc.observable')).rejects.toEqual({ code: 'E_LATE' });
  });

  it('a @Catch filter for the Kinesis transport reshapes the error with the KinesisContext', async () => {
    const error = await call('filtered.rpc').catch((e: unknown) => e);
    expect(error).toEqual({
      error: { code: 'E_DENIED' },
      pattern: 'filtered.rpc',
      shardId: expect.stringMatching(/^shardId-/),
      requestId: expect.any(String),
    });
  });

  it('a BaseRpcExceptionFilter subclass maps an HTTP exception, and leaves the rest to Nest', async () => {
    await expect(call('order.find', { id: 7 })).resolves.toEqual({ id: 7 });
    await expect(call('order.find', { id: 8 })).rejects.toEqual({
      status: 404,
      message: 'order 8 not found',
    });
    await expect(call('order.broken')).rejects.toEqual({ status: 'error', message: 'Internal server error' });
  });

  it("a global filter handles what a handler's own filters do not", async () => {
    await expect(call('stock.reserve', { sku: 'sku-9' })).rejects.toEqual({
      code: 'E_OUT_OF_STOCK',
      sku: 'sku-9',
    });
    // The handler's catch-all filter is nearer than the global one: Nest's internal error, not the domain code.
    await expect(call('stock.reserve.local', { sku: 'sku-9' })).rejects.toEqual({
      status: 'error',
      message: 'Internal server error',
    });
  });
});
