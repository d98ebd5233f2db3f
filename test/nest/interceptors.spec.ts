/**
 * Nest interceptors around handlers served over Kinesis: they wrap the result (values and streams), can answer
 * without the handler, turn errors into RpcExceptions, and wrap @EventPattern handlers; they read the
 * KinesisContext through ExecutionContext.switchToRpc().
 */
import 'reflect-metadata';
import {
  Controller,
  Injectable,
  Module,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type INestApplicationContext,
  type NestInterceptor,
} from '@nestjs/common';
import { EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import {
  catchError,
  firstValueFrom,
  interval,
  lastValueFrom,
  map,
  of,
  take,
  tap,
  throwError,
  toArray,
} from 'rxjs';
import { KinesisContext, type ClientKinesis } from '../../libs/transport/src/index.js';
import { eventually } from '../support/harness.js';
import { caller, oneShardStreams, serve, type RunningService, type StreamPair } from './nest-fixtures.js';

/** Handler runs and interceptor steps, in the order they happened. */
const trace: string[] = [];

/** Wraps a result with how long the handler took and where its record came from. */
@Injectable()
class TimingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const started = process.hrtime.bigint();
    const ctx = context.switchToRpc().getContext<KinesisContext>();
    return next.handle().pipe(
      map((data) => ({
        data,
        handledNs: Number(process.hrtime.bigint() - started),
        pattern: ctx.getPattern(),
        shardId: ctx.getShardId(),
        kinesis: ctx instanceof KinesisContext,
      })),
    );
  }
}

@Injectable()
class TimesTenInterceptor implements NestInterceptor {
  intercept(_: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(map((value: number) => value * 10));
  }
}

/** Answers from its cache without calling the handler. */
@Injectable()
class CacheInterceptor implements NestInterceptor {
  private readonly cache = new Map<string, unknown>([['sku-1', { sku: 'sku-1', price: 5, cached: true }]]);
  intercept(context: ExecutionContext, next: CallHandler) {
    const { sku } = context.switchToRpc().getData<{ sku: string }>();
    return this.cache.has(sku) ? of(this.cache.get(sku)) : next.handle();
  }
}

@Injectable()
class ErrorMappingInterceptor implements NestInterceptor {
  intercept(_: ExecutionContext, next: CallHandler) {
    return next
      .handle()
      .pipe(
        catchError((error: Error) =>
          throwError(() => new RpcException({ code: 'E_UPSTREAM', cause: error.message })),
        ),
      );
  }
}

@Injectable()
class EventTraceInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const ctx = context.switchToRpc().getContext<KinesisContext>();
    const { id } = context.switchToRpc().getData<{ id: string }>();
    trace.push(`before ${id} ${ctx.getPattern()}`);
    return next.handle().pipe(tap({ complete: () => trace.push(`after ${id}`) }));
  }
}

@Controller()
class InterceptedController {
  @MessagePattern('sum')
  @UseInterceptors(TimingInterceptor)
  sum(@Payload() numbers: number[]) {
    trace.push('sum');
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern('count')
  @UseInterceptors(TimesTenInterceptor)
  count(@Payload() { to }: { to: number }) {
    return interval(0).pipe(take(to));
  }

  @MessagePattern('price')
  @UseInterceptors(CacheInterceptor)
  price(@Payload() { sku }: { sku: string }) {
    trace.push(`price ${sku}`);
    return { sku, price: 7, cached: false };
  }

  @MessagePattern('upstream')
  @UseInterceptors(ErrorMappingInterceptor)
  upstream(): never {
    throw new Error('connection refused');
  }

  @EventPattern('audit')
  @UseInterceptors(EventTraceInterceptor)
  audit(@Payload() { id }: { id: string }) {
    trace.push(`audit ${id}`);
  }
}

@Module({ controllers: [InterceptedController] })
class InterceptedModule {}

describe('Nest interceptors over the Kinesis transporter', () => {
  let streams: StreamPair;
  let service: RunningService;
  let app: INestApplicationContext;
  let client: ClientKinesis;

  beforeAll(async () => {
    streams = await oneShardStreams('interceptors');
    service = await serve(InterceptedModule, streams);
    ({ app, client } = await caller(streams));
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it("wraps a handler's result, reading the KinesisContext", async () => {
    const result = await firstValueFrom(client.send('sum', [1, 2, 3]));
    expect(result).toEqual({
      data: 6,
      handledNs: expect.any(Number),
      pattern: 'sum',
      shardId: expect.stringMatching(/^shardId-/),
      kinesis: true,
    });
    expect(result.handledNs).toBeGreaterThan(0);
    expect(trace).toContain('sum');
  });

  it('transforms every value of an Observable handler', async () => {
    const values = await lastValueFrom(client.send('count', { to: 5 }).pipe(toArray()));
    expect(values).toEqual([0, 10, 20, 30, 40]);
  });

  it('answers without the handler when it short-circuits, calls it otherwise', async () => {
    await expect(firstValueFrom(client.send('price', { sku: 'sku-1' }))).resolves.toEqual({
      sku: 'sku-1',
      price: 5,
      cached: true,
    });
    await expect(firstValueFrom(client.send('price', { sku: 'sku-2' }))).resolves.toEqual({
      sku: 'sku-2',
      price: 7,
      cached: false,
    });
    expect(trace).toContain('price sku-2');
    expect(trace).not.toContain('price sku-1');
  });

  it("turns a handler's error into an RpcException the caller gets", async () => {
    await expect(firstValueFrom(client.send('upstream', {}))).rejects.toEqual({
      code: 'E_UPSTREAM',
      cause: 'connection refused',
    });
  });

  it('wraps an @EventPattern handler: before, the handler, after', async () => {
    await firstValueFrom(client.emit('audit', { id: 'a1' }), { defaultValue: undefined });
    await eventually(() => trace.includes('after a1'), { message: 'the interceptor after the event' });
    expect(trace.filter((step) => step.includes('a1'))).toEqual(['before a1 audit', 'audit a1', 'after a1']);
  });
});
