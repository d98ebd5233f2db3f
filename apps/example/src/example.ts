/**
 * The Nest transporter end to end: the orders microservice (ServerKinesis) and a calling app whose
 * ClientKinesis comes from ClientsModule.registerAsync, talking over two Kinesis streams.
 */
import 'reflect-metadata';
import type { INestApplication, INestMicroservice, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  from,
  fromEvent,
  lastValueFrom,
  NEVER,
  of,
  takeUntil,
  timeout,
  toArray,
  type Observable,
} from 'rxjs';
import { ServerKinesis } from '../../../libs/transport/src/index.js';
import { CheckoutModule } from './checkout.module.js';
import { CheckoutService } from './checkout.service.js';
import type { OrderStatus, OrderView } from './orders.controller.js';
import { OrdersModule } from './orders.module.js';
import { OrdersStore, type Order } from './orders.store.js';

export interface ExampleOptions {
  /** Kinesis endpoint (kinesalite, kinesis-mock, ...); undefined: the AWS endpoint of the region. */
  endpoint: string | undefined;
  actStream: string;
  resStream: string;
  /** Create the streams when absent, with these shard counts. */
  createStreams?: { act: number; res: number };
  /** Stops the example between (or during) calls; both apps are still closed. */
  signal?: AbortSignal;
  print?: (line: string) => void;
  /** Nest's logger for both apps. Default: errors and warnings only, so the output is the example's. */
  logger?: LoggerService | LogLevel[] | false;
  /** Per-request deadline of the client, ms (default 10 s). */
  timeoutMs?: number;
  /** The caller's HTTP port (GET /health), on 127.0.0.1. Default 0: any free port. */
  healthPort?: number;
}

export interface ExampleResult {
  total?: number;
  /** The orders the service had after the `order.created` event. */
  ordersInService?: number;
  view?: OrderView;
  statuses?: OrderStatus[];
  /** The RpcException payload of a lookup of an unknown order. */
  notFound?: unknown;
  /** GET /health's overall status (Terminus: ok, error). */
  health?: string;
  aborted: boolean;
}

export const EXAMPLE_ORDER: Order = {
  id: 'A-1001',
  customer: 'ada',
  lines: [
    { sku: 'kinesis-mug', price: 1250, qty: 2 },
    { sku: 'sticker', price: 499, qty: 1 },
  ],
};

export async function runExample(options: ExampleOptions): Promise<ExampleResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const logger = options.logger ?? ['error', 'warn'];
  const { endpoint, actStream, resStream, signal } = options;
  const result: ExampleResult = { aborted: false };

  // The value(s) of a call, unless the signal fires first (then the subscription is dropped).
  const aborted$ = !signal ? NEVER : signal.aborted ? of(0) : fromEvent(signal, 'abort');
  const values = async <T>(source$: Observable<T>): Promise<T[]> => {
    const values = await lastValueFrom(source$.pipe(takeUntil(aborted$), toArray()));
    signal?.throwIfAborted();
    return values;
  };
  const value = async <T>(source$: Observable<T>): Promise<T> => {
    const [first] = await values(source$);
    return first;
  };

  let service: INestMicroservice | undefined;
  let caller: INestApplication | undefined;
  try {
    // The server first, so the first request does not wait for it (with the default startPosition,
    // TRIM_HORIZON, requests sent before it started would be served too).
    const server = new ServerKinesis({
      endpoint,
      actStream,
      resStream,
      appName: 'orders',
      createStreams: options.createStreams,
    });
    service = await NestFactory.createMicroservice(OrdersModule, { strategy: server, logger });
    await service.listen();
    print(`orders service listening on "${actStream}" (replies on "${resStream}")`);

    caller = await NestFactory.create(
      CheckoutModule.forRoot(
        {
          KINESIS_ENDPOINT: endpoint,
          ORDERS_ACT_STREAM: actStream,
          ORDERS_RES_STREAM: resStream,
          ORDERS_TIMEOUT_MS: options.timeoutMs,
          ORDERS_CREATE_STREAMS: options.createStreams,
        },
        server,
      ),
      { logger },
    );
    await caller.listen(options.healthPort ?? 0, '127.0.0.1');
    const checkout = caller.get(CheckoutService);
    const order = EXAMPLE_ORDER;

    result.total = await value(checkout.total(order.lines));
    print(`orders.total -> ${result.total} (${(result.total / 100).toFixed(2)})`);

    await values(checkout.placed(order));
    // Events are not answered; the example peeks at the service's store to show it was handled.
    const store = service.get(OrdersStore);
    await value(from(store.whenCreated(order.id)).pipe(timeout({ first: options.timeoutMs ?? 10_000 })));
    result.ordersInService = store.count;
    print(`order.created ${order.id} -> handled by the service (${store.count} order(s))`);

    result.view = await value(checkout.get(order.id));
    const { servedFrom } = result.view;
    print(
      `{ cmd: 'orders.get', v: 1 } ${order.id} -> ${result.view.order.customer}, ` +
        `${result.view.order.lines.length} line(s), read from ${servedFrom.shardId} as ${servedFrom.pattern}`,
    );

    result.statuses = (await values(checkout.track(order.id))).map((update) => update.status);
    print(`orders.track ${order.id} -> ${result.statuses.join(', ')}`);

    result.notFound = await value(checkout.get('X-0')).catch((error: unknown) => {
      signal?.throwIfAborted(); // an abort is not the answer
      return error;
    });
    print(`{ cmd: 'orders.get', v: 1 } X-0 -> error ${JSON.stringify(result.notFound)}`);

    const { port } = caller.getHttpServer().address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/health`, { signal });
    const body = (await response.json()) as { status: string; details: Record<string, { status: string }> };
    result.health = body.status;
    const checks = Object.entries(body.details).map(([key, check]) => `${key} ${check.status}`);
    print(`GET /health -> ${response.status} ${body.status} (${checks.join(', ')})`);
  } catch (error) {
    if (!signal?.aborted || error !== signal.reason) throw error;
    result.aborted = true;
    print('aborted');
  } finally {
    // The client first: nothing waits for a reply when the server goes.
    await caller?.close();
    await service?.close();
  }
  print('closed the caller and the orders service');
  return result;
}
