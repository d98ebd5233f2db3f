/** A Nest microservice and client module over Kinesis, for the transporter suites. */
import 'reflect-metadata';
import {
  Controller,
  Module,
  type DynamicModule,
  type ExceptionFilter,
  type INestApplicationContext,
  type INestMicroservice,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientsModule,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RpcException,
} from '@nestjs/microservices';
import { delay, interval, of, take, type Observable } from 'rxjs';
import {
  ClientKinesis,
  KinesisContext,
  ServerKinesis,
  type ClientKinesisOptions,
  type ServerKinesisOptions,
} from '../../libs/transport/src/index.js';
import { silentLogger } from '../../libs/kinesis/src/index.js';

export const received: { events: unknown[]; calls: Map<string, number>; started: Set<unknown> } = {
  events: [],
  calls: new Map(),
  started: new Set(),
};

@Controller()
export class MathController {
  @MessagePattern('sum')
  sum(@Payload() numbers: number[]): number {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern({ cmd: 'greet', v: 1 })
  greet(@Payload() name: string): string {
    return `hello ${name}`;
  }

  @MessagePattern('echo')
  echo(@Payload() data: { n: number; caller: string }) {
    const key = `${data.caller}:${data.n}`;
    received.calls.set(key, (received.calls.get(key) ?? 0) + 1);
    return data;
  }

  @MessagePattern('fail.rpc')
  failRpc(): never {
    throw new RpcException({ code: 'E_NOPE', message: 'not allowed' });
  }

  @MessagePattern('fail.throw')
  failThrow(): never {
    throw new Error('boom');
  }

  @MessagePattern('stream')
  stream(@Payload() { count }: { count: number }): Observable<number> {
    return interval(0).pipe(take(count));
  }

  @MessagePattern('slow')
  slow(@Payload() { ms, value }: { ms: number; value: unknown }) {
    received.started.add(value);
    return of(value).pipe(delay(ms));
  }

  @MessagePattern('ctx')
  ctx(@Payload() _: unknown, @Ctx() ctx: KinesisContext) {
    return {
      shardId: ctx.getShardId(),
      sequenceNumber: ctx.getSequenceNumber(),
      partitionKey: ctx.getPartitionKey(),
      pattern: ctx.getPattern(),
      arrival: ctx.getArrivalTime().toISOString(),
      metadata: ctx.getMetadata(),
    };
  }

  @MessagePattern('big')
  big(@Payload() { bytes }: { bytes: number }) {
    return 'x'.repeat(bytes);
  }

  @EventPattern('evt')
  onEvent(@Payload() data: unknown) {
    received.events.push(data);
  }
}

@Module({ controllers: [MathController] })
export class ServiceModule {}

export interface RunningService {
  app: INestMicroservice;
  server: ServerKinesis;
  close(): Promise<void>;
}

/** A Nest microservice serving `module` through `server`, with `filters` as global exception filters, listening. */
export async function startMicroservice(
  module: Type | DynamicModule,
  server: ServerKinesis,
  ...filters: ExceptionFilter[]
): Promise<RunningService> {
  const app = await NestFactory.createMicroservice(module, { strategy: server, logger: false });
  if (filters.length > 0) app.useGlobalFilters(...filters);
  await app.listen();
  return { app, server, close: () => app.close() };
}

export function startService(options: ServerKinesisOptions): Promise<RunningService> {
  return startMicroservice(
    ServiceModule,
    new ServerKinesis({ pollIntervalMs: 50, logger: silentLogger, ...options }),
  );
}

/** A ClientKinesis under each name, registered the way a Nest app does it: ClientsModule.register with customClass. */
export function kinesisClientsModule(clients: Record<string, ClientKinesisOptions>): DynamicModule {
  return ClientsModule.register(
    Object.entries(clients).map(([name, options]) => ({ name, customClass: ClientKinesis, options })),
  );
}

export const CLIENT = 'KINESIS_CLIENT';

/** A caller app with one client the way a Nest app gets it (see kinesisClientsModule), connected. */
export async function startClient(
  options: ClientKinesisOptions,
): Promise<{ app: INestApplicationContext; client: ClientKinesis }> {
  @Module({
    imports: [kinesisClientsModule({ [CLIENT]: { pollIntervalMs: 50, logger: silentLogger, ...options } })],
  })
  class CallerModule {}
  const app = await NestFactory.createApplicationContext(CallerModule, { logger: false });
  const client = app.get<ClientKinesis>(CLIENT);
  await client.connect();
  return { app, client };
}
