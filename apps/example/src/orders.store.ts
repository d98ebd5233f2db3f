import { Injectable } from '@nestjs/common';

export interface OrderLine {
  sku: string;
  /** Cents: integer money, so totals are exact. */
  price: number;
  qty: number;
}

export interface Order {
  id: string;
  customer: string;
  lines: OrderLine[];
}

/** The orders service's state: what `order.created` events brought in. */
@Injectable()
export class OrdersStore {
  private readonly orders = new Map<string, Order>();
  private readonly waiters = new Map<string, Array<(order: Order) => void>>();

  get count(): number {
    return this.orders.size;
  }

  add(order: Order): void {
    this.orders.set(order.id, order);
    for (const resolve of this.waiters.get(order.id) ?? []) resolve(order);
    this.waiters.delete(order.id);
  }

  get(id: string): Order | undefined {
    return this.orders.get(id);
  }

  /** Resolves once `order.created` for `id` was handled: an event has no reply, so this is how to know. */
  whenCreated(id: string): Promise<Order> {
    const order = this.orders.get(id);
    if (order) return Promise.resolve(order);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }
}
