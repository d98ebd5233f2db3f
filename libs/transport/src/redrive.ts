import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { listShards, MAX_PARTITION_KEY_LENGTH, type Logger, silentLogger } from '../../kinesis/src/index.js';
import { parseEnvelopeJson } from './native/envelope.js';
import { EnvelopeSigner } from './native/signing.js';
import { DeadLetterError, parseDeadLetter, type EventDeadLetter } from './shared/dead-letters.js';
import type { SigningOptions } from './shared/options.js';

/** Bounds of one redrive: entries put back, and reads of a dead-letter shard that return nothing new. */
export const REDRIVE_DEFAULT_MAX_RECORDS = 100;
export const REDRIVE_MAX_RECORDS = 10_000;
const MAX_EMPTY_READS = 20;

export interface RedriveOptions {
  client: KinesisClient;
  /** The server's `eventRetries.deadLetterStream`. */
  deadLetterStream: string;
  /**
   * The act stream the events go back to; entries dead-lettered from any other stream are refused, and so are
   * records of a server's `streams` (any producer's bytes, not envelopes), whatever their stream's name.
   */
  actStream: string;
  /** At most this many entries are put back (default 100, at most 10 000). */
  maxRecords?: number;
  /** Read entries from this time on (AT_TIMESTAMP); default: the oldest entry kept. */
  since?: Date;
  /** Per dead-letter shard, go on after this sequence number (a previous run's `positions`); wins over `since`. */
  after?: Record<string, string>;
  /** The act stream's envelope signing: an entry whose original bytes do not verify is refused. */
  signing?: SigningOptions;
  /** Put back only the entries this accepts (e.g. one pattern); the others are skipped. */
  filter?(entry: EventDeadLetter): boolean;
  logger?: Logger;
}

export interface RedriveResult {
  /** Events put back on the act stream. */
  redriven: number;
  /** Records that are not our dead-letter entries for `actStream` (or, with `signing`, do not verify). */
  refused: number;
  /** Entries `filter` declined. */
  skipped: number;
  /** Per dead-letter shard, the last sequence number read: give it as `after` to go on from there. */
  positions: Record<string, string>;
}

/**
 * Puts dead-lettered events back on the act stream, as they were received (the original bytes: a signed
 * envelope verifies again, with its own id, which the server forgot when it dead-lettered it). Bounded by
 * `maxRecords`; reads each shard of the dead-letter stream up to its tip. Records that are not this package's
 * entries, or belong to another act stream, are refused and counted, never put anywhere.
 */
export async function redriveDeadLetters(o: RedriveOptions): Promise<RedriveResult> {
  const max = o.maxRecords ?? REDRIVE_DEFAULT_MAX_RECORDS;
  if (!Number.isSafeInteger(max) || max < 1 || max > REDRIVE_MAX_RECORDS)
    throw new DeadLetterError(`maxRecords must be an integer from 1 to ${REDRIVE_MAX_RECORDS}`);
  const signer = EnvelopeSigner.from(o.signing);
  const logger = o.logger ?? silentLogger;
  const result: RedriveResult = { redriven: 0, refused: 0, skipped: 0, positions: {} };
  const shards = await listShards(o.client, o.deadLetterStream);
  for (const { shardId } of shards) {
    let iterator = await shardIterator(o, shardId);
    for (let empty = 0; iterator && result.redriven < max && empty < MAX_EMPTY_READS;) {
      const page = await o.client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(1000, max - result.redriven) }),
      );
      iterator = page.NextShardIterator;
      const records = page.Records ?? [];
      empty = records.length === 0 ? empty + 1 : 0;
      for (const record of records) {
        if (result.redriven >= max) break;
        result.positions[shardId] = record.SequenceNumber!;
        const entry = admit(record.Data, o.actStream, signer);
        if (!entry) {
          // Whoever writes the dead-letter stream chooses how many: one warning a run, the rest at debug.
          const log = result.refused++ === 0 ? logger.warn : logger.debug;
          log.call(logger, 'redrive: record refused (not a dead-letter entry of this act stream)', {
            shardId,
            sequenceNumber: record.SequenceNumber,
          });
        } else if (o.filter && !o.filter(entry)) result.skipped++;
        else {
          await o.client.send(
            new PutRecordCommand({
              StreamName: o.actStream,
              PartitionKey: entry.partitionKey,
              Data: Buffer.from(entry.data, 'base64'),
            }),
          );
          result.redriven++;
        }
      }
      if (records.length === 0 && page.MillisBehindLatest === 0) break; // at the tip
    }
  }
  return result;
}

async function shardIterator(o: RedriveOptions, shardId: string): Promise<string | undefined> {
  const after = o.after?.[shardId];
  const position = after
    ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const, StartingSequenceNumber: after }
    : o.since
      ? { ShardIteratorType: 'AT_TIMESTAMP' as const, Timestamp: o.since }
      : { ShardIteratorType: 'TRIM_HORIZON' as const };
  const out = await o.client.send(
    new GetShardIteratorCommand({ StreamName: o.deadLetterStream, ShardId: shardId, ...position }),
  );
  return out.ShardIterator;
}

/** The entry, when the record is ours, for `actStream`, holds a JSON object, and (with a signer) verifies. */
function admit(
  data: Uint8Array | undefined,
  actStream: string,
  signer: EnvelopeSigner | undefined,
): EventDeadLetter | undefined {
  const entry = data && parseDeadLetter(data);
  if (!entry || entry.stream !== actStream || (entry.origin ?? 'act') !== 'act') return undefined;
  // An entry in parts (an event past ~760 KiB) is not put back: each part holds only a slice of it.
  if (entry.parts !== undefined) return undefined;
  // A key Kinesis refuses would fail the PutRecord, and with it the whole redrive.
  if ([...entry.partitionKey].length > MAX_PARTITION_KEY_LENGTH) return undefined;
  const original = Buffer.from(entry.data, 'base64');
  if (signer?.check('request', actStream, original)) return undefined;
  try {
    parseEnvelopeJson(original);
  } catch {
    return undefined;
  }
  return entry;
}
