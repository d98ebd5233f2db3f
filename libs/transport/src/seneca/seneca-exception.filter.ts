import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { KinesisContext } from '../kinesis.context.js';

/**
 * Nest's exception layer answers a thrown non-RpcException with `{ status: 'error', message: 'Internal server
 * error' }` before any transport sees the error, so a Seneca caller would get only that. Register this filter
 * (`app.useGlobalFilters(new SenecaExceptionFilter())`, or `@UseFilters` on a controller) to give Seneca
 * callers the Error's message, name, code and details, as a Seneca listener does. Everything else (native
 * callers, other transports, RpcExceptions) is handled exactly as Nest does.
 */
@Catch()
export class SenecaExceptionFilter extends BaseRpcExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<unknown> {
    const context = host.getType() === 'rpc' ? host.switchToRpc().getContext<unknown>() : undefined;
    const forSeneca = context instanceof KinesisContext && context.getSeneca() !== undefined;
    if (!forSeneca || !(exception instanceof Error) || exception instanceof RpcException) {
      return super.catch(exception, host);
    }
    BaseRpcExceptionFilter.logger.error(exception); // as Nest does for an unknown error
    const { code, details } = exception as Error & { code?: unknown; details?: unknown };
    return throwError(() => ({ message: exception.message, name: exception.name, code, details }));
  }
}
