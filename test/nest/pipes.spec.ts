/**
 * Nest pipes on handlers served over Kinesis: a validating pipe (what ValidationPipe does, without
 * class-validator) rejects bad data before the handler and the caller gets its RpcException; a good payload
 * reaches the handler transformed. Nest's built-in pipes throw HTTP exceptions: with an exceptionFactory
 * they give the caller their message, without one Nest's RPC layer hides it.
 */
import 'reflect-metadata';
import {
  Controller,
  Injectable,
  Module,
  ParseIntPipe,
  UsePipes,
  type INestApplicationContext,
  type PipeTransform,
} from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import type { ClientKinesis } from '../../libs/transport/src/index.js';
import { caller, oneShardStreams, serve, type RunningService, type StreamPair } from './nest-fixtures.js';

interface OrderLine {
  sku: string;
  quantity: number;
}

const handled: unknown[] = [];

/** Checks the shape of an order line and normalizes it, as a DTO with ValidationPipe({ transform: true }) would. */
@Injectable()
class OrderLinePipe implements PipeTransform<unknown, OrderLine> {
  transform(value: unknown): OrderLine {
    const line = (value ?? {}) as Partial<OrderLine>;
    const errors: string[] = [];
    if (typeof line.sku !== 'string' || line.sku.trim() === '') errors.push('sku must be a non-empty string');
    if (!Number.isInteger(line.quantity) || (line.quantity as number) < 1)
      errors.push('quantity must be a positive integer');
    if (errors.length > 0) throw new RpcException({ code: 'E_VALIDATION', errors });
    return { sku: line.sku!.trim().toUpperCase(), quantity: line.quantity! };
  }
}

@Controller()
class PipedController {
  @MessagePattern('order.add')
  @UsePipes(OrderLinePipe)
  add(@Payload() line: OrderLine) {
    handled.push(line);
    return line;
  }

  @MessagePattern('next')
  next(@Payload(new ParseIntPipe({ exceptionFactory: (message) => new RpcException(message) })) n: number) {
    return n + 1;
  }

  @MessagePattern('next.http')
  nextHttp(@Payload(ParseIntPipe) n: number) {
    return n + 1;
  }
}

@Module({ controllers: [PipedController] })
class PipedModule {}

describe('Nest pipes over the Kinesis transporter', () => {
  let streams: StreamPair;
  let service: RunningService;
  let app: INestApplicationContext;
  let client: ClientKinesis;
  const call = (pattern: string, data: unknown) => firstValueFrom(client.send(pattern, data));

  beforeAll(async () => {
    streams = await oneShardStreams('pipes');
    service = await serve(PipedModule, streams);
    ({ app, client } = await caller(streams));
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('a validating pipe rejects bad data: the caller gets its RpcException, the handler does not run', async () => {
    await expect(call('order.add', { sku: ' ', quantity: 0, marker: 'bad' })).rejects.toEqual({
      code: 'E_VALIDATION',
      errors: ['sku must be a non-empty string', 'quantity must be a positive integer'],
    });
    await expect(call('order.add', 'not an object')).rejects.toMatchObject({ code: 'E_VALIDATION' });
    expect(handled).toEqual([]);
  });

  it('a validating pipe hands the handler the transformed payload', async () => {
    await expect(call('order.add', { sku: ' ab-1 ', quantity: 2 })).resolves.toEqual({
      sku: 'AB-1',
      quantity: 2,
    });
    expect(handled).toEqual([{ sku: 'AB-1', quantity: 2 }]);
  });

  it("Nest's ParseIntPipe with an RpcException factory: converts, and rejects with its message", async () => {
    await expect(call('next', '41')).resolves.toBe(42);
    await expect(call('next', 'forty-one')).rejects.toEqual({
      status: 'error',
      message: 'Validation failed (numeric string is expected)',
    });
  });

  it("Nest's ParseIntPipe as is: its HTTP exception reaches the caller as Nest's internal error", async () => {
    await expect(call('next.http', '1')).resolves.toBe(2);
    await expect(call('next.http', 'one')).rejects.toEqual({
      status: 'error',
      message: 'Internal server error',
    });
  });
});
