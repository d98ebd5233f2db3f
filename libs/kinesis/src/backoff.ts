/** Exponential backoff with "equal jitter": half the ceiling fixed, half random, so a retry never comes at once. */
export interface BackoffOptions {
  /** First delay ceiling, ms. */
  baseMs?: number;
  /** Largest delay ceiling, ms. */
  maxMs?: number;
}

export function backoffDelay(attempt: number, { baseMs = 100, maxMs = 5_000 }: BackoffOptions = {}): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** A sleep that an AbortSignal can cut short (resolves early, never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
