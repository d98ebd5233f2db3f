import type { Logger } from '../logger.js';

/** Default least time between two warnings of one kind caused by records, ms. */
export const RECORD_WARNING_INTERVAL_MS = 10_000;

/**
 * Warnings caused by records, bounded in rate: whoever can write the act stream can write any number of bad
 * records, but cannot make as many warn lines. Per kind (a fixed message), the first is logged at warn, then at
 * most one per `intervalMs`; the others go to debug, and the next warn says how many did (`debugSinceLastWarn`).
 * Counters (server stats) count every record whatever is logged.
 */
export class WarnThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = RECORD_WARNING_INTERVAL_MS,
  ) {}

  warn(message: string, context: Record<string, unknown>, now = Date.now()): void {
    const state = this.last.get(message);
    if (state && now - state.at < this.intervalMs) {
      state.suppressed++;
      this.logger.debug(message, context);
      return;
    }
    this.last.set(message, { at: now, suppressed: 0 });
    const suppressed = state?.suppressed ?? 0;
    this.logger.warn(message, suppressed > 0 ? { ...context, debugSinceLastWarn: suppressed } : context);
  }
}
