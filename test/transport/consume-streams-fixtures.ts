/** The Nest app of the consume-streams suite: handlers that note what they got, and two deserializers. */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { KinesisContext, type EventDeadLetter, type StreamRecord } from '../../libs/transport/src/index.js';
import { readStream } from '../support/stream-reader.js';

export interface Seen {
  pattern: string;
  data: unknown;
  stream: string | undefined;
  record: StreamRecord | undefined;
  sequenceNumber: string;
  subSequenceNumber: number;
}
export const seen: Seen[] = [];
export const seenOf = (pattern: string) => seen.filter((s) => s.pattern === pattern);
export const keyOf = (s: Seen) => (s.data as { key?: string } | null)?.key;

function note(pattern: string, data: unknown, ctx: KinesisContext): void {
  seen.push({
    pattern,
    data,
    stream: ctx.getStream(),
    record: ctx.getRecord() as StreamRecord | undefined,
    sequenceNumber: ctx.getSequenceNumber(),
    subSequenceNumber: ctx.getSubSequenceNumber(),
  });
}

@Controller()
class StreamsController {
  @EventPattern<string>('clickstream')
  click(@Payload() data: unknown, @Ctx() ctx: KinesisContext) {
    note('clickstream', data, ctx);
    if ((data as { fail?: boolean } | null)?.fail) throw new Error('click handler failed');
  }

  @EventPattern<string>('device.temperature')
  temperature(@Payload() data: unknown, @Ctx() ctx: KinesisContext) {
    note('device.temperature', data, ctx);
  }

  @EventPattern<string>('orders.INSERT')
  orderInserted(@Payload() data: unknown, @Ctx() ctx: KinesisContext) {
    note('orders.INSERT', data, ctx);
  }

  @EventPattern({ table: 'orders', event: 'MODIFY' })
  orderModified(@Payload() data: unknown, @Ctx() ctx: KinesisContext) {
    note('orders/MODIFY', data, ctx);
  }

  @EventPattern<string>('evt')
  actEvent(@Payload() data: unknown, @Ctx() ctx: KinesisContext) {
    note('evt', data, ctx);
  }

  @MessagePattern('sum')
  sum(@Payload() numbers: number[]) {
    return numbers.reduce((a, b) => a + b, 0);
  }
}

@Module({ controllers: [StreamsController] })
export class StreamsModule {}

/** An IoT rule's record: `{ device, type, value }`; the type picks the pattern (`device.<type>`). */
export function iotDeserializer(record: StreamRecord) {
  const message = JSON.parse(record.data.toString('utf8')) as {
    type?: string;
    device: string;
    value: number;
  };
  if (message.type === 'heartbeat') return undefined; // the app's choice: skipped, counted
  return { pattern: `device.${message.type}`, data: { device: message.device, value: message.value } };
}

/** A DynamoDB-stream-like record (as Kinesis Data Streams for DynamoDB writes it): table and event name pick the pattern. */
export function dynamoDeserializer(record: StreamRecord) {
  const change = JSON.parse(record.data.toString('utf8')) as {
    tableName: string;
    eventName: string;
    dynamodb: { NewImage?: Record<string, { S?: string; N?: string }> };
  };
  const image = change.dynamodb.NewImage ?? {};
  return {
    pattern: `${change.tableName}.${change.eventName}`,
    data: { id: image.id?.S, total: Number(image.total?.N) },
  };
}

/** Every entry on a dead-letter stream, oldest first per shard. */
export const readDeadLetters = async (client: KinesisClient, stream: string): Promise<EventDeadLetter[]> =>
  (await readStream(client, stream))
    .flatMap((shard) => shard.records)
    .map((r) => JSON.parse(r.data.toString('utf8')));
