import { BaseRpcContext } from '@nestjs/microservices';
import type { KinesisRecord } from '../../../kinesis/src/index.js';

export interface KinesisContextArgs {
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  partitionKey: string;
  pattern: string;
  approximateArrivalTimestamp: Date;
  /** The envelope id (request id; for events, their dedupe id); a `streams` record: `<shardId>/<sequence>/<sub>`. */
  id: string;
  /**
   * The caller's metadata (headers): what its dispatch hook set (trace context, tenant, ...), under what its
   * KinesisMessage set (KinesisMessageBuilder.setMetadata). Native protocol; `{}` for Seneca acts.
   */
  metadata: Record<string, string>;
  /** The stream the record was read from (the act stream, or a `streams` entry). */
  stream?: string;
  /** The record as read (a KPL aggregate's user record): its bytes, partition key, sequence, arrival time. */
  record?: KinesisRecord;
}

/**
 * What `@Ctx()` gives a handler served over Kinesis: where the record was and what it carried. A protocol may
 * hand a subclass with more (SenecaContext: the Seneca act being served).
 */
export class KinesisContext extends BaseRpcContext<[KinesisContextArgs]> {
  constructor(args: KinesisContextArgs) {
    super([args]);
  }
  private get a(): KinesisContextArgs {
    return this.args[0];
  }
  getShardId(): string {
    return this.a.shardId;
  }
  getSequenceNumber(): string {
    return this.a.sequenceNumber;
  }
  getSubSequenceNumber(): number {
    return this.a.subSequenceNumber;
  }
  getPartitionKey(): string {
    return this.a.partitionKey;
  }
  getPattern(): string {
    return this.a.pattern;
  }
  getArrivalTime(): Date {
    return this.a.approximateArrivalTimestamp;
  }
  getId(): string {
    return this.a.id;
  }
  /** The stream the record was read from; undefined only in a context built by hand. */
  getStream(): string | undefined {
    return this.a.stream;
  }
  /** The raw record (for a `streams` entry: what its deserializer got); undefined only in one built by hand. */
  getRecord(): KinesisRecord | undefined {
    return this.a.record;
  }
  /** The caller's metadata: its dispatch hook's values under its KinesisMessage's (see KinesisContextArgs). */
  getMetadata(): Record<string, string> {
    return this.a.metadata;
  }
}
