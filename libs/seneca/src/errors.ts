import { errorForLog, KinesisError } from '../../kinesis/src/index.js';

/**
 * Base of the Seneca plugin's errors; a KinesisError, so one `instanceof` covers the whole stack. A record that is
 * not a Seneca envelope is the wire module's InvalidSenecaEnvelopeError (a KinesisError too), shared with the Nest side.
 */
export class SenecaKinesisError extends KinesisError {}

/** `seneca.export('transport/utils')` is not seneca-transport's utils (e.g. `legacy: { transport: false }`). */
export class TransportUtilsMissingError extends SenecaKinesisError {
  constructor() {
    super(
      "seneca.export('transport/utils') has no prepare_request: the kinesis transport needs seneca-transport " +
        '(Seneca 3 loads it unless `legacy: { transport: false }` is set)',
    );
  }
}

/**
 * `seneca.listen({ type: 'kinesis' })` could not start (stream missing, endpoint down, no permission). Seneca
 * treats a failed listen as fatal: its `errhandler` option receives this, then the process exits.
 */
export class ListenFailedError extends SenecaKinesisError {
  readonly code = 'kinesis_listen_failed';
  /** Seneca keeps the code and message of an error marked so (else it wraps it as act_execute). */
  readonly seneca = true;
  constructor(
    readonly actStream: string,
    cause: unknown,
  ) {
    super(`listen on act stream "${actStream}" failed: ${errorForLog(cause)}`, { cause });
  }
}

/**
 * The request could not be put on the act stream. The caller gets it as its act's error; `code` follows
 * Seneca's snake_case codes so `err.code` is usable like `action_timeout`.
 */
export class RequestNotSentError extends SenecaKinesisError {
  readonly code = 'kinesis_request_not_sent';
  constructor(
    readonly streamName: string,
    readonly partitionKey: string,
    options: { cause: unknown },
  ) {
    super(
      `request not put on "${streamName}" (partition key ${partitionKey}): ${
        options.cause instanceof Error ? options.cause.message : String(options.cause)
      }`,
      options,
    );
  }
}
