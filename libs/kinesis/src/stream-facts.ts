import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis';
import { KinesisError } from './errors.js';

/** The classic record limit (data + partition key): what a stream that does not report MaxRecordSizeInKiB has. */
export const CLASSIC_MAX_RECORD_BYTES = 1_048_576;
/** UpdateMaxRecordSize's range: 1024 to 10240 KiB. */
export const LARGEST_MAX_RECORD_BYTES = 10 * 1_048_576;

/**
 * PutRecords bytes per request (data + partition keys). The API reference (client-kinesis 3.1143,
 * PutRecordsCommand) and the large-records launch ("a 2x increase in the maximum PutRecords request size from
 * 5MiB to 10MiB", docs.aws.amazon.com/streams/latest/dev/large-records.html) document 10 MiB; a stream that does
 * not report MaxRecordSizeInKiB is an endpoint from before that launch (the emulators: kinesalite refuses a 6 MB
 * request), so it keeps the classic 5 MiB.
 */
export const CLASSIC_MAX_REQUEST_BYTES = 5 * 1_048_576;
export const LARGE_RECORDS_MAX_REQUEST_BYTES = 10 * 1_048_576;

/** What the transport and the producer need to know of a stream, read once (DescribeStreamSummary). */
export interface StreamFacts {
  streamName: string;
  /** `PROVISIONED` or `ON_DEMAND`; undefined when the endpoint does not say (kinesalite). */
  mode: string | undefined;
  /** MaxRecordSizeInKiB in bytes; the classic 1 MiB when the stream does not report it. */
  maxRecordBytes: number;
  /** PutRecords bytes per request that fit this stream (see LARGE_RECORDS_MAX_REQUEST_BYTES). */
  maxRequestBytes: number;
  /**
   * `AUTO`: Kinesis spreads records over shards and ignores partition keys and ExplicitHashKey. Anything else,
   * absent included (provisioned streams, emulators), is `USER_PARTITION_KEY`: hash-key routing.
   */
  distribution: 'AUTO' | 'USER_PARTITION_KEY';
  /** `NONE` or `KMS`; undefined when the endpoint does not say. */
  encryptionType: string | undefined;
}

/** The facts of a summary; missing fields are the classic defaults. */
function streamFactsOf(streamName: string, summary: StreamDescriptionSummary | undefined): StreamFacts {
  const kib = summary?.MaxRecordSizeInKiB;
  const reported = typeof kib === 'number' && Number.isInteger(kib) && kib > 0;
  return {
    streamName,
    mode: summary?.StreamModeDetails?.StreamMode,
    maxRecordBytes: reported ? Math.min(kib * 1024, LARGEST_MAX_RECORD_BYTES) : CLASSIC_MAX_RECORD_BYTES,
    maxRequestBytes: reported ? LARGE_RECORDS_MAX_REQUEST_BYTES : CLASSIC_MAX_REQUEST_BYTES,
    distribution: summary?.RecordDistributionStrategy === 'AUTO' ? 'AUTO' : 'USER_PARTITION_KEY',
    encryptionType: summary?.EncryptionType,
  };
}

/** Reads in flight or done, per client and stream: a failed read is forgotten, so the next start reads again. */
const cache = new WeakMap<KinesisClient, Map<string, Promise<StreamFacts>>>();

/**
 * The stream's facts, read once per client and stream (DescribeStreamSummary; needs
 * kinesis:DescribeStreamSummary). Rejects as the call does (ResourceNotFoundException for a missing stream).
 */
export function readStreamFacts(client: KinesisClient, streamName: string): Promise<StreamFacts> {
  let streams = cache.get(client);
  if (!streams) cache.set(client, (streams = new Map()));
  let facts = streams.get(streamName);
  if (!facts) {
    facts = client
      .send(new DescribeStreamSummaryCommand({ StreamName: streamName }))
      .then((output) => streamFactsOf(streamName, output.StreamDescriptionSummary));
    facts.catch(() => streams.delete(streamName));
    streams.set(streamName, facts);
  }
  return facts;
}

/** A stream whose RecordDistributionStrategy (AUTO) ignores the partition keys or hash keys a use relies on. */
export class StreamDistributionError extends KinesisError {
  constructor(
    readonly streamName: string,
    readonly use: string,
    remedy: string,
  ) {
    super(
      `stream "${streamName}" uses RecordDistributionStrategy AUTO, which ignores partition keys and ` +
        `ExplicitHashKey: ${use}. ${remedy}`,
    );
  }
}
