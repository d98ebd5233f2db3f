import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Inject,
  Injectable,
  Logger as NestLogger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createKinesisClient, Producer, type Logger } from '../../../kinesis/src/index.js';
import { coreLoggerFrom } from '../nest-logger.js';
import { KinesisModuleOptionsError, type ResolvedKinesisModuleOptions } from './options.js';
import { KINESIS_MODULE_OPTIONS } from './tokens.js';

/**
 * What KinesisModule made, and its shutdown. Nest runs every module's onModuleDestroy before any
 * beforeApplicationShutdown, and those before any onApplicationShutdown: so the producers still take puts from
 * other providers' onModuleDestroy, drain in beforeApplicationShutdown, and the client is destroyed last, once
 * every other provider's beforeApplicationShutdown (a consumer stopping, say) is done with it.
 */
@Injectable()
export class KinesisModuleResources implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger: Logger;
  /** The client this module created (only that one is destroyed: a given one is its owner's). */
  private created: KinesisClient | undefined;
  /** The producers this module built: one a test replaced through overrideProvider is never built here. */
  private readonly producers = new Map<string, Producer>();

  constructor(@Inject(KINESIS_MODULE_OPTIONS) private readonly options: ResolvedKinesisModuleOptions) {
    this.logger = options.logger ?? coreLoggerFrom(new NestLogger('KinesisModule'));
  }

  client(): KinesisClient {
    return this.options.awsClient ?? (this.created ??= createKinesisClient(this.options));
  }

  /** The producer named `name`, writing through `client` (the one under KINESIS_AWS_CLIENT). */
  producer(name: string, client: KinesisClient): Producer {
    try {
      const producer = new Producer({ logger: this.logger, ...this.options.producers[name]!, client });
      this.producers.set(name, producer);
      return producer;
    } catch (error) {
      throw new KinesisModuleOptionsError([`producer "${name}": ${(error as Error).message}`]);
    }
  }

  /** Every producer refuses new puts and sends what it holds, for at most closeTimeoutMs. */
  async beforeApplicationShutdown(): Promise<void> {
    const draining = new Set(this.producers.keys());
    // close() settles every put (rejected ones reject their caller's promise), so it does not reject itself.
    const closing = [...this.producers].map(([name, producer]) =>
      producer.close().finally(() => draining.delete(name)),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.closeTimeoutMs).unref();
    });
    await Promise.race([Promise.all(closing), timedOut]);
    clearTimeout(timer);
    if (draining.size > 0)
      this.logger.warn(
        'KinesisModule: producers not drained within closeTimeoutMs; shutdown goes on without them',
        {
          producers: [...draining],
          closeTimeoutMs: this.options.closeTimeoutMs,
        },
      );
  }

  onApplicationShutdown(): void {
    this.created?.destroy();
    this.created = undefined;
  }
}
