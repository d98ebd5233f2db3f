import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseRpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { SenecaContext } from './seneca-context.js';

export interface SenecaExceptionFilterOptions {
  /**
   * Send a thrown Error's message, name and details to the Seneca caller, as a Seneca listener does.
   * Default false: the caller gets its `code` (when a safe identifier) and the message 'Internal error';
   * internal text (SQL, paths, record content) stays in the server's log.
   */
  exposeErrors?: boolean;
}

/** A code the caller may see: a short identifier (`E_THROWN`, `ECONNRESET`, `not_found`). */
const SAFE_CODE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

export const INTERNAL_ERROR_MESSAGE = 'Internal error';

/**
 * Nest's exception layer answers a thrown non-RpcException with `{ status: 'error', message: 'Internal server
 * error' }` before any transport sees the error, so a Seneca caller would get only that. Register this filter
 * (`app.useGlobalFilters(new SenecaExceptionFilter())`, or `@UseFilters` on a controller) to give Seneca
 * callers the Error's `code` (Seneca's way to tell failures apart) with a safe message; with
 * `{ exposeErrors: true }` its message, name and details too. An RpcException's payload is what the handler
 * chose to send: it goes as it is. Everything else (native callers, other transports) is handled as Nest does.
 */
@Catch()
export class SenecaExceptionFilter extends BaseRpcExceptionFilter {
  constructor(private readonly options: SenecaExceptionFilterOptions = {}) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): Observable<unknown> {
    const context = host.getType() === 'rpc' ? host.switchToRpc().getContext<unknown>() : undefined;
    const forSeneca = context instanceof SenecaContext;
    if (!forSeneca || !(exception instanceof Error) || exception instanceof RpcException) {
      return super.catch(exception, host);
    }
    BaseRpcExceptionFilter.logger.error(exception); // as Nest does for an unknown error
    const { code, details } = exception as Error & { code?: unknown; details?: unknown };
    if (this.options.exposeErrors) {
      return throwError(() => ({ message: exception.message, name: exception.name, code, details }));
    }
    const safeCode = typeof code === 'string' && SAFE_CODE.test(code) ? code : undefined;
    return throwError(() => ({ message: INTERNAL_ERROR_MESSAGE, name: 'Error', code: safeCode }));
  }
}
