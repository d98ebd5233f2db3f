import type {
  Checkpointer,
  InitializeInput,
  KinesisRecord,
  Logger,
  ProcessRecordsInput,
  RecordProcessor,
} from '../../kinesis/src/index.js';
import { InvalidRequestRecordError } from './errors.js';
import type { RequestEnvelope } from './seneca-types.js';
import { decodeRequest } from './wire.js';

/** What the listener gives each shard's processor. */
export interface RecordProcessorContext {
  shardId: string;
  /** `<topic>_act` to `<topic>`, for the listener's topics: records with any other partition key are not ours. */
  topicsByPartitionKey: ReadonlyMap<string, string>;
  logger: Logger;
  /** Hands a request to seneca-transport's `handle_request`; replies are written by the listener. */
  handleRequest(request: RequestEnvelope, topic: string, record: KinesisRecord): void;
}

export type SenecaRecordProcessorClass = new (context: RecordProcessorContext) => RecordProcessor;

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The listener's processor for one shard of the act stream: keeps the records addressed to the listener's
 * topics, decodes them and hands them on. A bad record is logged at warn (never its data) and skipped; nothing
 * a record holds can stop the shard. Requests are handed on without waiting for their actions, so an action
 * that calls another remote action cannot deadlock the shard; progress is checkpointed after each batch.
 */
export class SenecaRecordProcessor implements RecordProcessor {
  constructor(protected readonly context: RecordProcessorContext) {}

  initialize(_input: InitializeInput): void {}

  async processRecords({ records, checkpointer }: ProcessRecordsInput): Promise<void> {
    for (const record of records) this.processRecord(record);
    if (records.length > 0) await this.checkpoint(checkpointer, 'batch');
  }

  leaseLost(): void {}

  async shardEnded({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    await this.checkpoint(checkpointer, 'shard end'); // SHARD_END: lets the shard's children start
  }

  async shutdownRequested({ checkpointer }: { checkpointer: Checkpointer }): Promise<void> {
    await this.checkpoint(checkpointer, 'shutdown');
  }

  protected processRecord(record: KinesisRecord): void {
    const topic = this.context.topicsByPartitionKey.get(record.partitionKey);
    if (topic === undefined) return; // another listener's topic, or not Seneca at all
    let request: RequestEnvelope;
    try {
      request = this.decode(record);
    } catch (error) {
      this.skip(record, error);
      return;
    }
    try {
      this.context.handleRequest(request, topic, record);
    } catch (error) {
      this.context.logger.error('request handling threw', { ...this.where(record), error: describe(error) });
    }
  }

  protected decode(record: KinesisRecord): RequestEnvelope {
    return decodeRequest(record.data);
  }

  protected skip(record: KinesisRecord, error: unknown): void {
    const reason = error instanceof InvalidRequestRecordError ? error.reason : describe(error);
    this.context.logger.warn('act-stream record skipped', { ...this.where(record), reason });
  }

  protected where(record: KinesisRecord): Record<string, unknown> {
    return {
      shardId: this.context.shardId,
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
    };
  }

  /** A failed checkpoint costs re-delivery after a restart, not the shard: log it and go on. */
  protected async checkpoint(checkpointer: Checkpointer, when: string): Promise<void> {
    try {
      await checkpointer.checkpoint();
    } catch (error) {
      this.context.logger.warn('checkpoint failed', {
        shardId: this.context.shardId,
        when,
        error: describe(error),
      });
    }
  }
}
