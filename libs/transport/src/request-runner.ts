import type { BaseRpcContext, MessageHandler, WritePacket } from '@nestjs/microservices';
import type { Observable } from 'rxjs';

/** The parts of Nest's Server used here (structural: ServerKinesis's narrower event types still fit). */
interface RequestServer {
  transformToObservable(result: unknown): Observable<unknown>;
  send(stream$: Observable<unknown>, respond: (data: WritePacket) => Promise<unknown> | void): unknown;
}

/**
 * Runs a request handler as Nest's own transports do: inside the processing hooks (Nest 12 handleRequest),
 * with any result (value, Promise, Observable) turned into packets for `respond`, the last one isDisposed.
 * A handler that fails before producing a stream gets one `{ err, isDisposed }` packet. Never throws.
 */
export function runRequestHandler(
  server: RequestServer,
  handler: MessageHandler,
  data: unknown,
  context: BaseRpcContext,
  respond: (out: WritePacket) => Promise<void>,
  onError: (error: unknown) => void,
): void {
  const produce = async (): Promise<Observable<unknown>> =>
    server.transformToObservable(await handler(data, context));
  const failed = (err: unknown) => respond({ err, isDisposed: true }).catch(onError);
  const nest12 = (server as any).handleRequest as undefined | ((...args: unknown[]) => unknown);
  if (nest12) Promise.resolve(nest12.call(server, context, produce, respond)).catch(failed);
  else produce().then((stream$) => server.send(stream$, respond), failed); // Nest 11
}
