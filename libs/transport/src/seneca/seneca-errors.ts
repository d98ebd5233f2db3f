import { KinesisError } from '../../../kinesis/src/index.js';
import {
  isPlainObject,
  SENECA_ERROR_TEXTS,
  type SenecaErrorCode,
  type SenecaErrorInfo,
  type SenecaReplyEnvelope,
} from '../../../seneca/src/wire/index.js';

/** A Seneca error of one of Seneca's codes, with its text from the wire module's table unless given. */
export function senecaError(
  code: SenecaErrorCode,
  message: string = SENECA_ERROR_TEXTS[code],
): SenecaErrorInfo {
  return { code, message, name: 'Error', details: {}, seneca: true };
}

/**
 * A handler's failure as a Seneca error. What arrives here went through Nest's exception layer:
 *  - RpcException({ code, message, ... }): its object, so `code` (else act_execute) and `message` are kept;
 *  - RpcException('text'): `{ status: 'error', message: 'text' }`, code act_execute;
 *  - a thrown Error: Nest's `{ message: 'Internal server error' }` unless SenecaExceptionFilter is registered,
 *    which passes the Error's message, name and code on (see seneca-exception.filter.ts).
 */
export function toSenecaError(err: unknown): SenecaErrorInfo {
  if (typeof err !== 'object' || err === null) {
    return senecaError('act_execute', typeof err === 'string' ? err : SENECA_ERROR_TEXTS.act_execute);
  }
  const e = err as Record<string, unknown>;
  const code =
    typeof e.code === 'string' && e.code ? e.code : typeof e.code === 'number' ? String(e.code) : '';
  return {
    code: code || 'act_execute',
    message: typeof e.message === 'string' ? e.message : SENECA_ERROR_TEXTS.act_execute,
    name: typeof e.name === 'string' && e.name ? e.name : 'Error',
    details: isPlainObject(e.details) ? e.details : {},
    seneca: true,
  };
}

/** What a Nest caller in seneca mode receives when the remote action failed. */
export class SenecaActError extends KinesisError {
  /** Seneca's code: the handler's own code, or act_not_found, message_loop, act_execute, ... */
  readonly code: string;
  readonly details: Record<string, unknown>;
  /** The remote error's name (`name` itself stays SenecaActError). */
  readonly remoteName: string | undefined;

  constructor(
    readonly id: string,
    error: NonNullable<SenecaReplyEnvelope['error']>,
  ) {
    super(typeof error.message === 'string' ? error.message : SENECA_ERROR_TEXTS.act_execute);
    this.code = typeof error.code === 'string' && error.code ? error.code : 'act_execute';
    this.details = isPlainObject(error.details) ? error.details : {};
    this.remoteName = typeof error.name === 'string' ? error.name : undefined;
  }
}

/** A Seneca act cannot be built from what was passed to send()/emit() (e.g. a string pattern). */
export class InvalidSenecaPatternError extends KinesisError {}
