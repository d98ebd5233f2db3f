import type { Logger } from '../../kinesis/src/index.js';
import type { SenecaInstance } from './seneca-types.js';

/** The core's Logger on top of Seneca's log, so the plugin's messages follow the instance's log settings. */
export function senecaLogger(seneca: SenecaInstance): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, context?: Record<string, unknown>) =>
      seneca.log[level]('kinesis-transport', message, context ?? {});
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
