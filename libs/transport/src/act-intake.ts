import type { KinesisRecord } from '../../kinesis/src/index.js';
import type { WarnThrottle } from '../../kinesis/src/untrusted/warn-throttle.js';
import { parseEnvelopeJson } from './native/envelope.js';
import { warnInvalid } from './native/request-gate.js';
import { reportRefusal, type EnvelopeSigner } from './native/signing.js';
import type { EventOutcome } from './shared/event-retries.js';
import type { ActRecord, ServerProtocol } from './shared/protocol.js';
import type { ServerKinesisStats } from './shared/types.js';

export interface ActIntakeOptions {
  protocols: readonly ServerProtocol[];
  signer: EnvelopeSigner | undefined;
  /** A signed request is only valid on the stream it was signed for. */
  actStream: string;
  stats: ServerKinesisStats;
  warnings: WarnThrottle;
}

/**
 * The server's first look at an act-stream record, before any protocol sees it: the signature (with `signing`:
 * on the raw bytes, before anything parses them; Seneca acts included), then a JSON object, then the protocol
 * whose shape it has. A refused record is counted, warned about (rate-bounded) and never answered.
 */
export class ActIntake {
  constructor(private readonly o: ActIntakeOptions) {}

  /** One act-stream record, to the protocol that admits it: never rejects, so one record cannot stop its shard. */
  async handle(input: Omit<ActRecord, 'raw'>, reportError: (error: unknown) => void): Promise<EventOutcome> {
    try {
      const admitted = this.admit(input.record, input.shardId);
      if (admitted) return await admitted.protocol.handle({ ...input, raw: admitted.raw });
    } catch (error) {
      reportError(error);
    }
  }

  admit(
    record: KinesisRecord,
    shardId: string,
  ): { raw: Record<string, unknown>; protocol: ServerProtocol } | undefined {
    const { stats, signer, warnings } = this.o;
    const refusal = signer?.check('request', this.o.actStream, record.data);
    if (refusal) {
      const where = {
        shardId,
        sequenceNumber: record.sequenceNumber,
        subSequenceNumber: record.subSequenceNumber,
      };
      reportRefusal(refusal, stats, warnings, where);
      return undefined;
    }
    let raw: Record<string, unknown>;
    try {
      raw = parseEnvelopeJson(record.data);
    } catch (error) {
      stats.invalid++; // not JSON: no id to answer, nor to deduplicate
      warnInvalid({ warnings }, record, shardId, error);
      return undefined;
    }
    const protocol = this.o.protocols.find((p) => p.accepts(raw));
    return protocol && { raw, protocol };
  }
}
