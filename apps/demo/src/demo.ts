/**
 * The main job (`npm start`): the example orders microservice answers a caller over Kinesis (act/res), the
 * caller emits an `order.created` event per answered order onto an events stream, and the companion connector
 * app drains that stream into S3. With no KINESIS_ENDPOINT (and no KINESIS_USE_AWS=true) it starts an
 * embedded Kinesis endpoint (kinesalite) and S3 endpoint (s3rver, files under ./.data/s3) first.
 */
import 'reflect-metadata';
import type { INestApplication, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { firstValueFrom } from 'rxjs';
import { createConnectorApp } from '../../connector/src/main.js';
import { ConnectorService } from '../../../libs/connector/src/nest/index.js';
import { OrdersModule } from '../../example/src/orders.module.js';
import { createKinesisClient, ensureStream, silentLogger } from '../../../libs/kinesis/src/index.js';
import { ClientKinesis, ServerKinesis } from '../../../libs/transport/src/index.js';

export interface DemoOptions {
  signal: AbortSignal;
  print?: (line: string) => void;
  /** Orders placed per second (default 20). */
  ordersPerSecond?: number;
  /** Where the embedded S3 endpoint keeps its files (default ./.data/s3). */
  s3Directory?: string;
}

export interface DemoResult {
  answered: number;
  events: number;
  emitted: number;
}

const STREAMS = { act: 'demo-act', res: 'demo-res', events: 'demo-events' };
const BUCKET = 'demo-events';

async function embeddedEndpoints(directory: string, print: (line: string) => void) {
  // Development-only dependencies, loaded only when no endpoint is configured.
  const { startKinesalite, startS3rver } = await import('../../../libs/local-aws/src/index.js');
  const [kinesis, s3] = await Promise.all([startKinesalite(), startS3rver(directory)]);
  print(`embedded Kinesis endpoint (kinesalite) at ${kinesis.endpoint}`);
  print(`embedded S3 endpoint (s3rver) at ${s3.endpoint}, files under ${directory}`);
  return { kinesis, s3, stop: () => Promise.all([kinesis.stop(), s3.stop()]) };
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const configured = process.env.KINESIS_ENDPOINT;
  const useAws = !configured && process.env.KINESIS_USE_AWS === 'true';
  const embedded =
    configured || useAws ? undefined : await embeddedEndpoints(options.s3Directory ?? '.data/s3', print);
  if (embedded) {
    // Only local endpoints are used: the emulators take any key, s3rver checks for its fixed pair.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  }
  const endpoint = configured ?? embedded?.kinesis.endpoint;
  const admin = createKinesisClient({ endpoint });
  await Promise.all(Object.values(STREAMS).map((s) => ensureStream(admin, s, { shardCount: 2 })));
  admin.destroy();
  print(`streams ${Object.values(STREAMS).join(', ')} are ACTIVE`);

  const transport = { endpoint, actStream: STREAMS.act, resStream: STREAMS.res, logger: silentLogger };
  let service: INestMicroservice | undefined;
  let connector: INestApplication | undefined;
  const orders = new ClientKinesis({ ...transport, timeoutMs: 10_000 });
  const events = new ClientKinesis({ ...transport, actStream: STREAMS.events });
  const stats = { answered: 0, events: 0, failed: 0, latencies: [] as number[] };
  let emitted = 0;
  let produce: NodeJS.Timeout | undefined;
  let report: NodeJS.Timeout | undefined;
  try {
    service = await NestFactory.createMicroservice(OrdersModule, {
      strategy: new ServerKinesis({ ...transport, pollIntervalMs: 50 }),
      logger: ['error', 'warn'],
    });
    await service.listen();
    connector = await createConnectorApp({
      ...process.env,
      CONNECTOR_STREAM: STREAMS.events,
      KINESIS_ENDPOINT: endpoint,
      EMITTER: 's3',
      S3_ENDPOINT: process.env.S3_ENDPOINT ?? embedded?.s3.endpoint,
      S3_BUCKET: process.env.S3_BUCKET ?? BUCKET,
      S3_PREFIX: 'orders',
      BUFFER_MAX_AGE_MS: '2000',
      HTTP_PORT: process.env.HTTP_PORT ?? '0',
      STATUS_INTERVAL_MS: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    });
    await Promise.all([orders.connect(), events.connect()]);
    const counters = connector.get(ConnectorService).counters;
    print(`placing ${options.ordersPerSecond ?? 20} orders/s (Ctrl-C to stop)`);

    let n = 0;
    produce = setInterval(() => void placeOrder(n++), 1_000 / (options.ordersPerSecond ?? 20));
    async function placeOrder(id: number) {
      const started = Date.now();
      const lines = [{ sku: `sku-${id % 7}`, qty: 1 + (id % 3), price: 250 + (id % 5) * 100 }];
      try {
        const total = await firstValueFrom(orders.send<number>('orders.total', lines));
        stats.answered++;
        stats.latencies.push(Date.now() - started);
        await firstValueFrom(events.emit('order.created', { id: `order-${id}`, lines, total }), {
          defaultValue: undefined,
        });
        stats.events++;
      } catch (error) {
        stats.failed++;
        print(`order ${id} failed: ${(error as Error).message}`);
      }
    }
    report = setInterval(() => {
      const sorted = stats.latencies.splice(0).sort((a, b) => a - b);
      const p50 = sorted.length ? `${sorted[Math.floor(sorted.length / 2)]} ms` : '-';
      const lag = [...counters.lagMs].map(([shard, ms]) => `${shard.slice(-4)}:${ms ?? '-'}ms`).join(' ');
      print(
        `orders answered ${stats.answered} (p50 ${p50}) | events ${stats.events} | connector read ${counters.recordsRead}, ` +
          `written to S3 ${counters.emittedCount}, dead-lettered ${counters.deadLetteredCount}, lag ${lag || '-'}`,
      );
    }, 1_000);

    await new Promise<void>((resolve) => {
      if (options.signal.aborted) return resolve();
      options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(produce);
    print('stopping: draining calls, flushing the connector to S3, checkpointing');
    await until(() => stats.answered + stats.failed >= n && stats.events + stats.failed >= stats.answered);
  } finally {
    clearInterval(produce);
    clearInterval(report);
    await orders.close();
    await events.close();
    await service?.close();
    const counters = connector?.get(ConnectorService).counters;
    if (counters) {
      // Let the connector read what was just emitted; its close() then flushes to S3 and checkpoints.
      await until(() => counters.recordsRead >= stats.events);
      await connector!.close();
      emitted = counters.emittedCount;
      print(`done: ${emitted} events written to S3 (${counters.deadLetteredCount} dead-lettered)`);
    }
    await embedded?.stop();
  }
  return { answered: stats.answered, events: stats.events, emitted };
}

/** Waits until `done()` holds, at most `ms`. */
async function until(done: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
