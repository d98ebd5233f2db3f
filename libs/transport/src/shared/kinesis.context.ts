import { BaseRpcContext } from '@nestjs/microservices';
import type { SenecaActInfo } from './seneca/seneca-call-context.js';

export interface KinesisContextArgs {
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  partitionKey: string;
  pattern: string;
  approximateArrivalTimestamp: Date;
  /** The envelope id (request id; for events, their dedupe id). */
  id: string;
  /** Values the caller's dispatch hook set (trace context, tenant, ...). */
  metadata: Record<string, string>;
  /** Set when the record was a Seneca act: its id, tx, origin, track and custom$. */
  seneca?: SenecaActInfo;
}

/** What `@Ctx()` gives a handler served over Kinesis. */
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
  getMetadata(): Record<string, string> {
    return this.a.metadata;
  }
  /** The Seneca act being served (id, tx, origin, track, custom$), or undefined for a native request. */
  getSeneca(): SenecaActInfo | undefined {
    return this.a.seneca;
  }
}
