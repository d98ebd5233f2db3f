import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { interval, map, take, type Observable } from 'rxjs';
import { KinesisContext } from '../../../libs/transport/src/index.js';
import { OrdersStore, type Order, type OrderLine } from './orders.store.js';

export const ORDER_STATUSES = ['placed', 'packed', 'shipped', 'delivered'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** What `{ cmd: 'orders.get', v: 1 }` answers: the order, and where the request was read from. */
export interface OrderView {
  order: Order;
  servedFrom: { shardId: string; sequenceNumber: string; pattern: string };
}

/** The orders microservice: plain Nest handlers; nothing here knows the transport is Kinesis but @Ctx(). */
@Controller()
export class OrdersController {
  private readonly logger = new Logger(OrdersController.name);

  constructor(private readonly store: OrdersStore) {}

  /** A string pattern: the order total in cents. */
  @MessagePattern('orders.total')
  total(@Payload() lines: OrderLine[]): number {
    return lines.reduce((sum, line) => sum + line.price * line.qty, 0);
  }

  /** An object pattern; an RpcException reaches the caller as its payload, intact. */
  @MessagePattern({ cmd: 'orders.get', v: 1 })
  get(@Payload() { id }: { id: string }, @Ctx() ctx: KinesisContext): OrderView {
    const order = this.store.get(id);
    if (!order) throw new RpcException({ code: 'NOT_FOUND', message: `no order ${id}` });
    return {
      order,
      servedFrom: {
        shardId: ctx.getShardId(),
        sequenceNumber: ctx.getSequenceNumber(),
        pattern: ctx.getPattern(),
      },
    };
  }

  /** An Observable: each value is one reply record; the caller sees them in order, then completion. */
  @MessagePattern('orders.track')
  track(@Payload() { id }: { id: string }): Observable<{ id: string; status: OrderStatus }> {
    return interval(10).pipe(
      take(ORDER_STATUSES.length),
      map((i) => ({ id, status: ORDER_STATUSES[i] })),
    );
  }

  /**
   * An event: no reply goes back, so the handler's effect (the store) is the only trace. `<string>` picks
   * the untyped overload: Nest 12's typed-event one types the arguments after the payload as `unknown`.
   */
  @EventPattern<string>('order.created')
  created(@Payload() order: Order, @Ctx() ctx: KinesisContext): void {
    this.store.add(order);
    this.logger.log(`order.created ${order.id} (shard ${ctx.getShardId()}); ${this.store.count} order(s)`);
  }
}
