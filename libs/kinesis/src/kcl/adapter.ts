import { defaultLogger, type Logger } from '../logger.js';
import type { RecordProcessor, RecordProcessorFactory } from '../types.js';
import { TRIM_HORIZON } from '../types.js';
import { KclCheckpointer } from './checkpointer.js';
import { KclProcessorError, KclProtocolError, type KclAction } from './errors.js';
import type { KclDone, KclRecordProcessor } from './protocol.js';
import { fromKclRecords } from './records.js';

export interface KclAdapterOptions {
  /**
   * Warnings and, by default, processor failures. Never stdout: under the daemon stdout is the protocol channel.
   * Default: the core's logger (console.warn / console.error, i.e. stderr, which the daemon logs).
   */
  logger?: Logger;
  /**
   * A processor callback threw or rejected. The daemon is answered anyway (as the KCL moves on after a failed
   * processRecords), so the shard is not stuck; exit the process here to have the daemon restart it instead.
   */
  onError?: (error: KclProcessorError) => void;
}

/**
 * One of our RecordProcessors as the record processor aws-kcl drives (`kcl(adapter).run()`), so it runs under
 * the Java MultiLangDaemon with the KCL's leases and load balancing. Records arrive as KinesisRecords, the
 * checkpointer is our promise-based one, and each call is acknowledged only once the processor's promise
 * settled and every checkpoint it asked for was answered (the daemon sends nothing new until then).
 */
export function kclRecordProcessor(
  processor: RecordProcessor,
  options: KclAdapterOptions = {},
): KclRecordProcessor {
  const logger = options.logger ?? defaultLogger;
  const onError =
    options.onError ??
    ((error: KclProcessorError) =>
      logger.error(error.message, { shardId: error.shardId, action: error.action }));
  let shardId = 'unknown';
  const checkpointer = (
    cp: { checkpointer: ConstructorParameters<typeof KclCheckpointer>[0] },
    scope: 'batch' | 'shardEnd' | 'shutdown',
  ) => new KclCheckpointer(cp.checkpointer, shardId, scope, logger);

  const complete = (action: KclAction, done: KclDone, call: () => unknown, pending?: KclCheckpointer) => {
    void (async () => {
      try {
        await call();
      } catch (error) {
        onError(new KclProcessorError(action, shardId, error));
      }
      await pending?.settled();
      done();
    })();
  };

  return {
    initialize(input, done) {
      shardId = input.shardId;
      complete('initialize', done, () =>
        processor.initialize({
          shardId,
          // The daemon sends the lease's checkpoint (a sentinel for a new lease); absent only from old daemons.
          sequenceNumber: input.sequenceNumber ?? TRIM_HORIZON,
          subSequenceNumber: input.subSequenceNumber ?? 0,
        }),
      );
    },
    processRecords(input, done) {
      const cp = checkpointer(input, 'batch');
      complete(
        'processRecords',
        done,
        () =>
          processor.processRecords({
            records: fromKclRecords(input.records),
            millisBehindLatest: input.millisBehindLatest ?? undefined,
            checkpointer: cp,
          }),
        cp,
      );
    },
    leaseLost(_input, done) {
      complete('leaseLost', done, () => processor.leaseLost());
    },
    shardEnded(input, done) {
      const cp = checkpointer(input, 'shardEnd');
      complete('shardEnded', done, () => processor.shardEnded({ checkpointer: cp }), cp);
    },
    shutdownRequested(input, done) {
      const cp = checkpointer(input, 'shutdown');
      complete('shutdownRequested', done, () => processor.shutdownRequested({ checkpointer: cp }), cp);
    },
  };
}

/**
 * A RecordProcessor that makes the factory's processor once the daemon names the shard (in initialize): the
 * daemon starts one child process per shard, and only initialize says which one.
 */
export function processorFromFactory(factory: RecordProcessorFactory): RecordProcessor {
  let processor: RecordProcessor | undefined;
  const current = (action: KclAction): RecordProcessor => {
    if (!processor) throw new KclProtocolError(`${action} before initialize`);
    return processor;
  };
  return {
    initialize(input) {
      processor = factory(input.shardId);
      return processor.initialize(input);
    },
    processRecords: (input) => current('processRecords').processRecords(input),
    leaseLost: () => current('leaseLost').leaseLost(),
    shardEnded: (input) => current('shardEnded').shardEnded(input),
    shutdownRequested: (input) => current('shutdownRequested').shutdownRequested(input),
  };
}
