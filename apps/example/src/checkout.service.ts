import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import type { OrderStatus, OrderView } from './orders.controller.js';
import type { Order, OrderLine } from './orders.store.js';

/** The injection token of the orders client (ClientsModule's `name`). */
export const ORDERS = 'ORDERS';

/** The caller's side: a Nest service that talks to the orders microservice through its ClientProxy. */
@Injectable()
export class CheckoutService implements OnApplicationBootstrap {
  constructor(@Inject(ORDERS) private readonly orders: ClientProxy) {}

  /** Connect at startup, so a missing stream or a bad endpoint fails the boot, not the first call. */
  async onApplicationBootstrap(): Promise<void> {
    await this.orders.connect();
  }

  total(lines: OrderLine[]): Observable<number> {
    return this.orders.send<number>('orders.total', lines);
  }

  /** Fire and forget: completes once the event is stored in the act stream, not once it is handled. */
  placed(order: Order): Observable<undefined> {
    return this.orders.emit<undefined>('order.created', order);
  }

  get(id: string): Observable<OrderView> {
    return this.orders.send<OrderView>({ cmd: 'orders.get', v: 1 }, { id });
  }

  track(id: string): Observable<{ id: string; status: OrderStatus }> {
    return this.orders.send('orders.track', { id });
  }
}
