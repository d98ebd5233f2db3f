import { Module } from '@nestjs/common';
import { OrdersController } from './orders.controller.js';
import { OrdersStore } from './orders.store.js';

/** The microservice's module: started with `strategy: new ServerKinesis(...)` (see example.ts). */
@Module({ controllers: [OrdersController], providers: [OrdersStore] })
export class OrdersModule {}
