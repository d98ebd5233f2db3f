import type { LoggerService } from '@nestjs/common';
import type { Logger } from '../../kinesis/src/index.js';

/** The core library's Logger on top of a Nest LoggerService (pino through nestjs-pino, or Nest's own). */
export function coreLoggerFrom(nest: LoggerService): Logger {
  const withContext = (message: string, context?: Record<string, unknown>) =>
    context ? `${message} ${JSON.stringify(context)}` : message;
  return {
    debug: (m, c) => nest.debug?.(withContext(m, c)),
    info: (m, c) => nest.log(withContext(m, c)),
    warn: (m, c) => nest.warn(withContext(m, c)),
    error: (m, c) => nest.error(withContext(m, c)),
  };
}
