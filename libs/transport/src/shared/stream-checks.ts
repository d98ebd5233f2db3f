import { ResourceNotFoundException, type KinesisClient } from '@aws-sdk/client-kinesis';
import { readStreamFacts, StreamDistributionError, type StreamFacts } from '../../../kinesis/src/index.js';
import { rethrowMissingStream } from './errors.js';
import type { ClientKinesisSettings } from './options.js';
import type { KinesisMessageOptions } from './record-builder.js';

const KEYED_STREAM =
  'a provisioned stream, or an on-demand stream with RecordDistributionStrategy USER_PARTITION_KEY ' +
  '(UpdateStreamRecordDistributionStrategy)';

/** Replies are put with the caller's hash key (native) or the topic's partition key (Seneca): AUTO scatters them. */
export function refuseUnroutableReplies(facts: StreamFacts): StreamFacts {
  if (facts.distribution === 'AUTO')
    throw new StreamDistributionError(
      facts.streamName,
      'replies are routed to the shard the caller reads by hash key, so they would land on shards no caller ' +
        'reads and calls would time out',
      `Use ${KEYED_STREAM} for replies (resStream, replyStreams).`,
    );
  return facts;
}

/** `partitionBy` other than `spread` promises order per key, which an AUTO stream does not keep. */
export function refuseUnorderedAct(
  facts: StreamFacts,
  partitionBy: ClientKinesisSettings['partitionBy'],
): void {
  if (facts.distribution === 'AUTO' && partitionBy !== 'spread')
    throw new StreamDistributionError(
      facts.streamName,
      `partitionBy ${typeof partitionBy === 'function' ? '(a function)' : `'${partitionBy}'`} orders requests ` +
        'per partition key, and this stream keeps no such order',
      `Use partitionBy 'spread' (the default), or ${KEYED_STREAM} as the act stream.`,
    );
}

/** A message's own partition key or hash key on an AUTO act stream: the place and order it asks for are ignored. */
export function refuseMessagePlacement(facts: StreamFacts | undefined, options: KinesisMessageOptions): void {
  if (facts?.distribution !== 'AUTO') return;
  const asked = (['partitionKey', 'explicitHashKey'] as const).filter((name) => options[name] !== undefined);
  if (asked.length > 0)
    throw new StreamDistributionError(
      facts.streamName,
      `the message's ${asked.join(' and ')} would place and order it, and this stream does neither`,
      `Send it without them, or use ${KEYED_STREAM} as the act stream.`,
    );
}

/** The client's streams, read at connect: the act stream's limits for its producer; refusals as above. */
export async function clientStreamFacts(
  client: KinesisClient,
  o: ClientKinesisSettings,
): Promise<{ act: StreamFacts; res: StreamFacts }> {
  const [act, res] = await Promise.allSettled([
    readStreamFacts(client, o.actStream),
    readStreamFacts(client, o.resStream),
  ]);
  // The reply stream first: without it no call could ever be answered.
  if (res.status === 'rejected') rethrowMissingStream(res.reason, 'reply', o.resStream);
  if (act.status === 'rejected') rethrowMissingStream(act.reason, 'act', o.actStream);
  return checkedClientFacts(o, act.value, res.value);
}

function checkedClientFacts(o: ClientKinesisSettings, act: StreamFacts, res: StreamFacts) {
  refuseUnroutableReplies(res);
  // The Seneca protocol's partition keys are its topics: `partitionBy` does not apply to it.
  if (o.protocol !== 'seneca') refuseUnorderedAct(act, o.partitionBy);
  return { act, res };
}

/**
 * The server's res stream, read at listen so that an AUTO stream is refused before any request is read. A res
 * stream that does not exist yet is not refused here: the reply writer reads its facts at the first reply.
 */
export async function checkServerResStream(client: KinesisClient, resStream: string): Promise<void> {
  try {
    refuseUnroutableReplies(await readStreamFacts(client, resStream));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}
