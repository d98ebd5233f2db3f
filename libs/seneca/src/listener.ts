import { errorForLog, forLog, sleep, type Consumer, type RecordProcessor } from '../../kinesis/src/index.js';
import { DedupeWindow } from '../../kinesis/src/untrusted/dedupe-window.js';
import { errorForReply, rejectionReply } from './error-replies.js';
import { ListenFailedError } from './errors.js';
import type { KinesisStream } from './kinesis-stream.js';
import { ListenerTopics } from './listen-topics.js';
import { streamOverrides, type StreamOverrides } from './options.js';
import type { SenecaAction, SenecaInstance, TransportArgs, TransportUtils } from './seneca-types.js';
import type { SenecaKinesisTransport } from './transport.js';
import {
  actPartitionKey,
  encodeSenecaEnvelope,
  resPartitionKey,
  type LegacySenecaAct,
  type SenecaReplyEnvelope,
} from './wire/index.js';

/** Time for the shutdown checkpoints after the grace period, ms. */
const STOP_MARGIN_MS = 10_000;

/** `role:transport,hook:listen,type:kinesis`: what `seneca.listen({ type: 'kinesis' })` runs. */
export function listenHook(transport: SenecaKinesisTransport, tu: TransportUtils): SenecaAction {
  return function hookListenKinesis(this: SenecaInstance, args, done) {
    const seneca = this.root.delegate();
    const streams = streamOverrides(transport.options, args);
    const listenOptions: TransportArgs = { ...args, ...streams };
    startListener(seneca, tu, transport, listenOptions, streams).then(
      () => done(null, listenOptions),
      (cause: unknown) => {
        const error = new ListenFailedError(streams.actStream, cause);
        transport.logger.error('seneca listener failed', {
          actStream: streams.actStream,
          error: error.message,
        });
        // Seneca makes a failed listen fatal (as for tcp) and prints nothing under `log: 'silent'`: one line
        // on stderr says why the process is going down.
        process.stderr.write(`[kinesis-transport] ${error.message}\n`);
        done(error);
      },
    );
  };
}

async function startListener(
  seneca: SenecaInstance,
  tu: TransportUtils,
  transport: SenecaKinesisTransport,
  listenOptions: TransportArgs,
  streams: StreamOverrides,
): Promise<void> {
  const { options, logger } = transport;
  const topics = new ListenerTopics(seneca, tu, listenOptions);
  const topicsByPartitionKey = new Map(topics.all.map((topic) => [actPartitionKey(topic), topic]));
  const replies = transport.stream(streams.resStream);
  await replies.ensure();
  // Kinesis delivers at least once: a redelivered act must not run again, nor be answered from Seneca's
  // history while its first run is still going (that answer is null).
  const seen = new DedupeWindow(options.dedupeWindowMs, options.dedupeMaxEntries);
  const handleRequest = (
    request: LegacySenecaAct,
    topic: string,
    _record: unknown,
    shardOpen: () => boolean,
  ): Promise<void> | undefined => {
    if (!topics.serves(seneca, topic, request.act)) {
      logger.debug('act on a shared topic left to its listener', { id: request.id, topic });
      return undefined;
    }
    if (!seen.firstSeen(request.id)) {
      logger.debug('duplicate act skipped', { id: request.id, topic });
      return undefined;
    }
    return transport.track(serve(seneca, tu, listenOptions, replies, transport, request, topic, shardOpen));
  };
  const polled = new Set<string>();
  const consumer = await transport.stream(streams.actStream).consume({
    processorFactory: (shardId) =>
      signalFirstPoll(
        new options.RecordProcessor({
          shardId,
          topicsByPartitionKey,
          logger,
          handleRequest,
          maxActsInFlight: options.maxActsInFlight,
          closeGracePeriodMs: options.closeGracePeriodMs,
          warnings: transport.warnings,
          stats: transport.stats,
        }),
        () => polled.add(shardId),
      ),
    startPosition: options.startPosition,
    checkpointStore: options.checkpointStore,
    leases: options.leases,
    pollIntervalMs: streams.pollIntervalMs,
    // The processors' grace period, then their last checkpoints: stopping never abandons them earlier.
    stopTimeoutMs: options.closeGracePeriodMs + STOP_MARGIN_MS,
  });
  await everyShardPolled(consumer, polled, options.listenReadyTimeoutMs, transport);
  logger.info('seneca listener started', {
    actStream: streams.actStream,
    resStream: streams.resStream,
    topics: topics.all.map((topic) => forLog(topic)),
  });
}

/** One request through seneca-transport; resolves once its reply (if any) is stored or failed. */
function serve(
  seneca: SenecaInstance,
  tu: TransportUtils,
  listenOptions: TransportArgs,
  replies: KinesisStream,
  transport: SenecaKinesisTransport,
  request: LegacySenecaAct,
  topic: string,
  shardOpen: () => boolean,
): Promise<void> {
  const { exposeErrors } = transport.options;
  return new Promise<void>((resolve) => {
    const respond = (handled: SenecaReplyEnvelope | null) => {
      const out =
        handled?.kind === undefined ? rejectionReply(seneca, request, handled, exposeErrors) : handled;
      // Only a caller that waits gets an answer (seneca-transport's tcp listener does the same).
      if (out?.sync !== true) return resolve();
      // `input` (the whole act, added with an action's error) is for no one: no client reads it.
      delete out.input;
      if (out.error && !exposeErrors) out.error = errorForReply(out.error);
      if (!shardOpen()) {
        transport.stats.lateReplies++;
        transport.logger.warn(
          'reply after the shard was closed not written: its act is read again after a restart',
          {
            id: forLog(out.id),
          },
        );
        return resolve();
      }
      const partitionKey = resPartitionKey(topic);
      const failed = (error: unknown) => {
        transport.stats.replyFailed++;
        transport.logger.error('reply not written', {
          id: forLog(out.id),
          stream: replies.name,
          partitionKey: forLog(partitionKey),
          error: errorForLog(error),
        });
      };
      let data: Buffer;
      try {
        data = encodeSenecaEnvelope(out);
      } catch (error) {
        failed(error);
        return resolve();
      }
      replies.put(partitionKey, data).catch(failed).finally(resolve);
    };
    // Answered here, not by handle_request: it would log the whole act at warn.
    if (request.track.includes(seneca.id)) {
      transport.stats.loops++;
      transport.warnings.warn('act looping back to this listener rejected', { id: request.id, topic });
      return respond({
        input: request.envelope,
        error: { code: 'message_loop' },
      } as unknown as SenecaReplyEnvelope);
    }
    tu.handle_request(seneca, request.envelope, listenOptions, respond);
  });
}

/** Reports the processor's first poll (an empty one too): from then on its shard's iterator is held. */
function signalFirstPoll(processor: RecordProcessor, polled: () => void): RecordProcessor {
  let first = true;
  return {
    initialize: (input) => processor.initialize(input),
    processRecords: (input) => {
      if (first) {
        first = false;
        polled();
      }
      return processor.processRecords(input);
    },
    leaseLost: () => processor.leaseLost(),
    shardEnded: (input) => processor.shardEnded(input),
    shutdownRequested: (input) => processor.shutdownRequested(input),
  };
}

/**
 * A listener at LATEST only sees what is written after its shard iterators were taken: it reports ready
 * once every shard has polled, so a client started after `seneca.ready()` cannot send into the gap.
 */
async function everyShardPolled(
  consumer: Consumer,
  polled: ReadonlySet<string>,
  timeoutMs: number,
  transport: SenecaKinesisTransport,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!consumer.activeShardIds().every((id) => polled.has(id))) {
    if (Date.now() >= deadline) {
      transport.logger.warn('listener ready before every shard polled', {
        stream: consumer.streamName,
        waitedMs: timeoutMs,
      });
      return;
    }
    await sleep(20);
  }
}
