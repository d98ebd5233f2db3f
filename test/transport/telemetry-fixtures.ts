/** The Nest controller of the telemetry suite: each handler notes the span active while it runs. */
import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { trace } from '@opentelemetry/api';
import { delay, map, of, type Observable } from 'rxjs';
import type { KinesisContext } from '../../libs/transport/src/index.js';

export interface Handled {
  data: unknown;
  activeSpanId: string | undefined;
  metadata: Record<string, string>;
}
export const handled: Handled[] = [];
const note = (data: unknown, ctx: KinesisContext): Handled => ({
  data,
  activeSpanId: trace.getActiveSpan()?.spanContext().spanId,
  metadata: ctx.getMetadata(),
});

@Controller()
class TracedController {
  @MessagePattern('traced.call')
  call(@Payload() data: unknown, @Ctx() ctx: KinesisContext): Handled {
    const seen = note(data, ctx);
    handled.push(seen);
    return seen;
  }

  @EventPattern<string>('traced.event')
  event(@Payload() data: unknown, @Ctx() ctx: KinesisContext): void {
    handled.push(note(data, ctx));
  }

  @MessagePattern({ role: 'otel', cmd: 'ping' })
  ping(): string {
    return 'pong';
  }

  /** An Observable whose values come later (a timer): each names the span active when it is produced. */
  @MessagePattern('traced.stream')
  stream(): Observable<string | undefined> {
    return of(1, 2).pipe(
      delay(5),
      map(() => trace.getActiveSpan()?.spanContext().spanId),
    );
  }

  /** Records of a `streams` entry (another producer's stream). */
  @EventPattern<string>('traced.foreign')
  foreign(@Payload() data: unknown, @Ctx() ctx: KinesisContext): void {
    handled.push(note(data, ctx));
  }

  @EventPattern<string>('traced.fails')
  fails(): never {
    throw new Error('handler failed');
  }
}

@Module({ controllers: [TracedController] })
export class TracedModule {}
