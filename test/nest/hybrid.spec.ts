/**
 * A hybrid Nest application: an HTTP app (platform-express) with a Kinesis microservice connected
 * (`connectMicroservice` + `startAllMicroservices`), whose routes call another service through a ClientKinesis
 * from ClientsModule. Requests go over HTTP (node's fetch, the app's ephemeral port), then Kinesis, and back.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type INestApplicationContext,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxy,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RpcException,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { silentLogger } from '../../libs/kinesis/src/index.js';
import { KinesisContext, ServerKinesis, type ClientKinesis } from '../../libs/transport/src/index.js';
import { kinesisClientsModule } from '../transport/fixtures.js';
import { eventually } from '../support/harness.js';
import { caller, oneShardStreams, serve, type RunningService, type StreamPair } from './nest-fixtures.js';

const created: unknown[] = [];
/** The execution context types the app's global guard saw, and whether an rpc one held a KinesisContext. */
const guarded: Array<{ type: string; kinesis: boolean }> = [];

/** The other service: orders, a plain microservice on its own streams. */
@Controller()
class OrdersController {
  @MessagePattern('order.get')
  get(@Payload() { id }: { id: number }, @Ctx() ctx: KinesisContext) {
    if (id !== 7) throw new RpcException({ status: 404, message: `order ${id} not found` });
    return { id, status: 'shipped', servedFrom: ctx.getShardId() };
  }

  @EventPattern('order.created')
  onCreated(@Payload() order: unknown) {
    created.push(order);
  }
}

@Module({ controllers: [OrdersController] })
class OrdersModule {}

@Injectable()
class RecordingGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const kinesis =
      context.getType() === 'rpc' && context.switchToRpc().getContext() instanceof KinesisContext;
    guarded.push({ type: context.getType(), kinesis });
    return true;
  }
}

/** The gateway: HTTP routes calling orders over Kinesis, and a pattern of its own on its connected microservice. */
@Controller()
class GatewayController {
  constructor(@Inject('ORDERS') private readonly orders: ClientProxy) {}

  @Get('orders/:id')
  async get(@Param('id', ParseIntPipe) id: number) {
    try {
      return await firstValueFrom(this.orders.send('order.get', { id }));
    } catch (error) {
      const { status, message } = error as { status?: number; message?: string };
      if (status === 404) throw new NotFoundException(message);
      throw error;
    }
  }

  @Post('orders')
  @HttpCode(202)
  async create(@Body() order: { sku: string }) {
    await firstValueFrom(this.orders.emit('order.created', order), { defaultValue: undefined });
    return { accepted: order.sku };
  }

  @MessagePattern('gateway.ping')
  ping(@Payload() data: string) {
    return `pong ${data}`;
  }
}

function gatewayModule(orders: StreamPair) {
  @Module({
    imports: [kinesisClientsModule({ ORDERS: { ...orders, pollIntervalMs: 20, logger: silentLogger } })],
    controllers: [GatewayController],
  })
  class GatewayModule {}
  return GatewayModule;
}

describe('A hybrid Nest app: HTTP routes, a connected Kinesis microservice, a ClientKinesis to another service', () => {
  let ordersStreams: StreamPair;
  let gatewayStreams: StreamPair;
  let orders: RunningService;
  let gateway: INestApplication;
  let url: string;
  let pinger: { app: INestApplicationContext; client: ClientKinesis };

  beforeAll(async () => {
    [ordersStreams, gatewayStreams] = await Promise.all([
      oneShardStreams('hybrid-orders'),
      oneShardStreams('hybrid-gateway'),
    ]);
    orders = await serve(OrdersModule, ordersStreams);
    gateway = await NestFactory.create(gatewayModule(ordersStreams), { logger: false });
    gateway.useGlobalGuards(new RecordingGuard());
    gateway.connectMicroservice<MicroserviceOptions>(
      { strategy: new ServerKinesis({ ...gatewayStreams, pollIntervalMs: 20, logger: silentLogger }) },
      { inheritAppConfig: true }, // the global guard applies to the microservice's handlers too
    );
    await gateway.startAllMicroservices();
    await gateway.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(gateway.getHttpServer().address() as AddressInfo).port}`;
    pinger = await caller(gatewayStreams);
  });
  afterAll(async () => {
    await pinger?.app.close();
    await gateway?.close();
    await orders?.close();
  });

  it('GET over HTTP -> the orders service over Kinesis -> the HTTP response', async () => {
    const response = await fetch(`${url}/orders/7`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: 7,
      status: 'shipped',
      servedFrom: expect.stringMatching(/^shardId-/),
    });
  });

  it("the other service's RpcException becomes the route's HTTP 404", async () => {
    const response = await fetch(`${url}/orders/8`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, message: 'order 8 not found' });
  });

  it('POST over HTTP emits an event the other service handles', async () => {
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'sku-42' }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 'sku-42' });
    await eventually(() => created.some((o) => (o as { sku: string }).sku === 'sku-42'), {
      message: 'the order.created event',
    });
  });

  it("the hybrid app's own microservice answers over Kinesis, under the app's global guard", async () => {
    await expect(firstValueFrom(pinger.client.send('gateway.ping', 'hi'))).resolves.toBe('pong hi');
    expect(guarded).toContainEqual({ type: 'http', kinesis: false });
    expect(guarded).toContainEqual({ type: 'rpc', kinesis: true });
  });
});
