/** The one logging interface the core needs (pino, Nest's Logger and console all fit it). */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

const noop = () => undefined;

/** Default: quiet on debug/info, warnings and errors to stderr. */
export const defaultLogger: Logger = {
  debug: noop,
  info: noop,
  warn: (message, context) => console.warn(`[kinesis] ${message}`, context ?? ''),
  error: (message, context) => console.error(`[kinesis] ${message}`, context ?? ''),
};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
