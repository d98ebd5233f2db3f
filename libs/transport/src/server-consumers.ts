import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Consumer, Logger } from '../../kinesis/src/index.js';
import type { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import {
  actStreamSettings,
  serverStreamConsumer,
  type ConsumedStreamSettings,
  type ShardWorkOptions,
} from './server-shard-processor.js';
import { rethrowMissingStream } from './shared/errors.js';
import type { ServerKinesisSettings } from './shared/options.js';
import type { KinesisStatus } from './shared/types.js';
import type { StreamIntake } from './stream-intake.js';

export interface ServerConsumersOptions {
  client: KinesisClient;
  settings: ServerKinesisSettings;
  /** The `appName` the user gave (not its default): see ServerConsumerOptions. */
  appName: string | undefined;
  logger: Logger;
  warnings: WarnThrottle;
  /** The act stream's records. */
  handleAct: ShardWorkOptions['handle'];
  /** One per `streams` entry. */
  intakes: readonly StreamIntake[];
  graceDeadline(): number;
  reportError(error: unknown): void;
  status(status: KinesisStatus): void;
}

/**
 * The consumers of one run of a server: the act stream's and one per `streams` entry, each with its own
 * checkpoints and leases (kept per stream name). Started and stopped together; the server is `throttled` while
 * any of them is, until each throttled one reads again.
 */
export class ServerConsumers {
  private readonly consumers = new Map<string, Consumer>();
  private readonly throttled = new Set<string>();

  constructor(private readonly o: ServerConsumersOptions) {
    this.add(actStreamSettings(o.settings), o.handleAct);
    for (const intake of o.intakes)
      this.add(intake.stream, (record, shardId, done, shard) => intake.handle(record, shardId, done, shard));
  }

  get byStream(): ReadonlyMap<string, Consumer> {
    return this.consumers;
  }

  /** Starts every consumer; when one cannot start (a missing stream), stops them all and rejects. */
  async start(): Promise<void> {
    const { actStream } = this.o.settings;
    const starts = [...this.consumers].map(([name, consumer]) =>
      consumer
        .start()
        .catch((error) => rethrowMissingStream(error, name === actStream ? 'act' : 'consumed', name)),
    );
    const failed = (await Promise.allSettled(starts)).find((s) => s.status === 'rejected');
    if (!failed) return;
    await this.stop(0);
    throw failed.reason;
  }

  /** Stops them all at once, each with the same bound (close()'s grace period and margin). */
  async stop(timeoutMs: number): Promise<void> {
    await Promise.all([...this.consumers.values()].map((consumer) => consumer.stop({ timeoutMs })));
  }

  private add(stream: ConsumedStreamSettings, handle: ShardWorkOptions['handle']): void {
    const { o } = this;
    const consumer = serverStreamConsumer({
      client: o.client,
      settings: o.settings,
      stream,
      logger: o.logger,
      warnings: o.warnings,
      appName: o.appName,
      handle,
      graceDeadline: o.graceDeadline,
      onBatch: () => this.readAgain(stream.name),
    });
    consumer.on('error', (error) => o.reportError(error));
    consumer.on('throttled', () => {
      this.throttled.add(stream.name);
      o.status('throttled');
    });
    this.consumers.set(stream.name, consumer);
  }

  private readAgain(streamName: string): void {
    if (this.throttled.delete(streamName) && this.throttled.size === 0) this.o.status('connected');
  }
}
