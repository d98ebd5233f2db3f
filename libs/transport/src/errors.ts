import { KinesisTransportError } from '../../kinesis/src/index.js';

/** The request's deadline passed before a (final) reply arrived. */
export class RequestTimeoutError extends KinesisTransportError {
  constructor(
    readonly pattern: string,
    readonly timeoutMs: number,
    readonly id: string,
  ) {
    super(`no reply to "${pattern}" within ${timeoutMs} ms (request ${id})`);
  }
}

/** The client was closed while the call was waiting for its reply. */
export class ClientClosedError extends KinesisTransportError {
  constructor(readonly pattern: string) {
    super(`Kinesis client closed before the reply to "${pattern}" arrived`);
  }
}
