import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  RegisterStreamConsumerCommand,
  type ConsumerDescription,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { sleep } from '../backoff.js';
import { KinesisError } from '../errors.js';

export { FanOutShardReader, type FanOutShardReaderOptions } from './fan-out-reader.js';

export interface EnsureStreamConsumerOptions {
  /** Bound on the wait for ACTIVE, ms. Default 60 s (AWS usually takes a few seconds). */
  timeoutMs?: number;
  /** Describe interval while waiting, ms. Default 500 (DescribeStreamConsumer allows 20 calls/s per stream). */
  pollMs?: number;
}

/** An enhanced fan-out consumer, ACTIVE: SubscribeToShard takes its ARN. */
export interface StreamConsumer {
  consumerName: string;
  consumerArn: string;
  streamArn: string;
  /** True when this call registered it (false: it existed, or a concurrent caller registered it). */
  registered: boolean;
}

export class StreamConsumerNotActiveError extends KinesisError {
  constructor(
    readonly consumerName: string,
    readonly lastStatus: string | undefined,
    readonly waitedMs: number,
  ) {
    super(
      `stream consumer "${consumerName}" did not become ACTIVE within ${waitedMs} ms (last status: ${lastStatus ?? 'not registered'})`,
    );
  }
}

/**
 * Registers an enhanced fan-out consumer unless it exists, and waits until it is ACTIVE. Idempotent, and safe
 * when several workers start at once: whoever loses the registration race waits for the winner's consumer.
 * A consumer being deleted is waited out, then registered again.
 */
export async function ensureStreamConsumer(
  client: KinesisClient,
  streamName: string,
  consumerName: string,
  { timeoutMs = 60_000, pollMs = 500 }: EnsureStreamConsumerOptions = {},
): Promise<StreamConsumer> {
  const streamArn = await streamArnOf(client, streamName);
  const deadline = Date.now() + timeoutMs;
  let registered = false;
  for (;;) {
    const consumer = await describeConsumer(client, streamArn, consumerName);
    if (consumer?.ConsumerStatus === 'ACTIVE')
      return { consumerName, consumerArn: consumer.ConsumerARN!, streamArn, registered };
    if (consumer === undefined) registered = (await register(client, streamArn, consumerName)) || registered;
    if (Date.now() > deadline)
      throw new StreamConsumerNotActiveError(consumerName, consumer?.ConsumerStatus, timeoutMs);
    await sleep(pollMs);
  }
}

/** Stream consumers are addressed by the stream's ARN, which only the stream's description has. */
async function streamArnOf(client: KinesisClient, streamName: string): Promise<string> {
  const { StreamDescriptionSummary } = await client.send(
    new DescribeStreamSummaryCommand({ StreamName: streamName }),
  );
  const arn = StreamDescriptionSummary?.StreamARN;
  if (!arn) throw new KinesisError(`stream "${streamName}" has no ARN in its description`);
  return arn;
}

/** The consumer's description; undefined when it is not registered (or its deletion finished). */
async function describeConsumer(
  client: KinesisClient,
  streamArn: string,
  consumerName: string,
): Promise<ConsumerDescription | { ConsumerStatus: 'UNKNOWN' } | undefined> {
  try {
    const { ConsumerDescription } = await client.send(
      new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName }),
    );
    return ConsumerDescription;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException') return undefined;
    // Many workers starting at once can exceed the describe rate: look again after the poll interval.
    if (name === 'LimitExceededException') return { ConsumerStatus: 'UNKNOWN' };
    throw error;
  }
}

/** False when someone else registered it first (or it is still being deleted): the caller describes again. */
async function register(client: KinesisClient, streamArn: string, consumerName: string): Promise<boolean> {
  try {
    await client.send(
      new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: consumerName }),
    );
    return true;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceInUseException' || name === 'LimitExceededException') return false;
    throw error;
  }
}
