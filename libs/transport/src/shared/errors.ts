import { forLog, KinesisError } from '../../../kinesis/src/index.js';

/** The request's deadline passed before a (final) reply arrived. */
export class RequestTimeoutError extends KinesisError {
  constructor(
    readonly pattern: string,
    readonly timeoutMs: number,
    readonly id: string,
  ) {
    super(`no reply to "${pattern}" within ${timeoutMs} ms (request ${id})`);
  }
}

/** The client was closed while the call was waiting for its reply. */
export class ClientClosedError extends KinesisError {
  constructor(readonly pattern: string) {
    super(`Kinesis client closed before the reply to "${pattern}" arrived`);
  }
}

/** A stream the transporter needs is missing (and `createStreams` is off). */
export class StreamNotFoundError extends KinesisError {
  constructor(
    readonly role: 'act' | 'reply' | 'consumed',
    readonly streamName: string,
    cause: unknown,
  ) {
    super(`${role} stream "${streamName}" does not exist (create it, or set createStreams)`, { cause });
  }
}

/** Rethrows a missing stream as StreamNotFoundError; anything else as it is. */
export function rethrowMissingStream(
  error: unknown,
  role: StreamNotFoundError['role'],
  streamName: string,
): never {
  if ((error as Error)?.name === 'ResourceNotFoundException')
    throw new StreamNotFoundError(role, streamName, error);
  throw error;
}

/** A reply to a stream that is not the server's `resStream` nor one of its `replyStreams`: never written. */
export class ForbiddenReplyStreamError extends KinesisError {
  constructor(readonly streamName: string) {
    super(`replies to stream "${forLog(streamName, 128)}" are not allowed (resStream, replyStreams)`);
  }
}
