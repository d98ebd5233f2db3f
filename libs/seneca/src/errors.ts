import { errorForLog, KinesisError } from '../../kinesis/src/index.js';

/** Base of the Seneca plugin's errors; a KinesisError, so one `instanceof` covers the whole stack. */
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

/** Why an act-stream record was skipped. */
export type InvalidRequestReason =
  | 'not JSON'
  | 'not an object'
  | 'missing kind'
  | 'kind is not act'
  | 'id is null'
  | 'id is not a string'
  | 'id is not a safe id'
  | 'act is not an object'
  | 'origin is not a bounded string'
  | 'track is not a bounded list of instance ids'
  | 'an act carries an error member';

/** A record on the act stream that is not a Seneca request; it is logged (without its data) and skipped. */
export class InvalidRequestRecordError extends SenecaKinesisError {
  constructor(readonly reason: InvalidRequestReason) {
    super(`act-stream record skipped: ${reason}`);
  }
}

/** A record on the res stream that is not a JSON object; it is logged (without its data) and skipped. */
export class InvalidReplyRecordError extends SenecaKinesisError {
  constructor(readonly reason: 'not JSON' | 'not an object') {
    super(`res-stream record skipped: ${reason}`);
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
