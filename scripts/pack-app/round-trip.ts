/**
 * Copied into each application of scripts/pack-test.mjs as src/round-trip.ts and compiled there (ES module or
 * CommonJS): the installed package runs a real round trip on the Kinesis endpoint the script started.
 * A microservice (ServerKinesis, creating its streams) answers one @MessagePattern request and takes one
 * @EventPattern event from a ClientKinesis registered with ClientsModule.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientsModule,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ClientKinesis, KinesisContext, ServerKinesis } from 'nestjs-kinesis-transport';

const events: unknown[] = [];

@Controller()
class OrdersController {
  @MessagePattern('sum')
  sum(@Payload() numbers: number[], @Ctx() ctx: KinesisContext) {
    return { total: numbers.reduce((a, b) => a + b, 0), kinesisContext: ctx instanceof KinesisContext };
  }

  @EventPattern('order.created')
  created(@Payload() order: unknown) {
    events.push(order);
  }
}

@Module({ controllers: [OrdersController] })
class OrdersModule {}

async function waitForEvent(timeoutMs: number): Promise<unknown> {
  for (const deadline = Date.now() + timeoutMs; events.length === 0;) {
    if (Date.now() > deadline) throw new Error(`no event handled within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return events[0];
}

/** Streams `<prefix>-act` and `<prefix>-res` on `endpoint` (credentials: the AWS variables the script sets). */
export async function roundTrip(
  endpoint: string,
  prefix: string,
): Promise<{ reply: unknown; event: unknown }> {
  const streams = { endpoint, region: 'us-east-1', actStream: `${prefix}-act`, resStream: `${prefix}-res` };
  const service = await NestFactory.createMicroservice<MicroserviceOptions>(OrdersModule, {
    strategy: new ServerKinesis({ ...streams, createStreams: true, pollIntervalMs: 50 }),
    logger: false,
  });
  await service.listen();

  @Module({
    imports: [
      ClientsModule.register([
        {
          name: 'ORDERS',
          customClass: ClientKinesis,
          options: { ...streams, pollIntervalMs: 50, timeoutMs: 20_000 },
        },
      ]),
    ],
  })
  class CallerModule {}
  const caller = await NestFactory.createApplicationContext(CallerModule, { logger: false });
  try {
    const client = caller.get<ClientProxy>('ORDERS');
    const reply = await firstValueFrom(client.send('sum', [1, 2, 3]));
    await firstValueFrom(client.emit('order.created', { id: 7 }), { defaultValue: undefined });
    return { reply, event: await waitForEvent(20_000) };
  } finally {
    await caller.close();
    await service.close();
  }
}
