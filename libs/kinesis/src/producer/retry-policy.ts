/**
 * Which failures are worth retrying. Errors are told apart by `name` / error code, never by `instanceof`:
 * entry errors are plain strings in the PutRecords result, and SDK errors may come from another copy of
 * the SDK (or a test) where `instanceof` would lie.
 */

/** Entry-level ErrorCodes of a PutRecords result that a later attempt can cure. */
const RETRYABLE_CODES = new Set([
  'ProvisionedThroughputExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'LimitExceededException',
  'InternalFailure',
  'InternalFailureException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'RequestAbortedError',
]);

/** Whole-call errors that no retry can cure: the request (or the caller's rights) is wrong. */
const FATAL_CALL_ERRORS = new Set([
  'ResourceNotFoundException',
  'ResourceInUseException',
  'ValidationException',
  'InvalidArgumentException',
  'AccessDeniedException',
  'AccessDenied',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredTokenException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
]);

/** Socket-level failures (no HTTP answer at all): transient by nature. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

export function isRetryableEntryError(errorCode: string): boolean {
  return RETRYABLE_CODES.has(errorCode);
}

/** The name to report for a failed call (`error.name`, else its socket code, else "Error"). */
export function callErrorCode(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown } | null;
  if (typeof e?.name === 'string' && e.name && e.name !== 'Error') return e.name;
  if (typeof e?.code === 'string' && e.code) return e.code;
  return 'Error';
}

export function isRetryableCallError(error: unknown): boolean {
  const e = (error ?? {}) as {
    name?: string;
    code?: string;
    $fault?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (e.name && FATAL_CALL_ERRORS.has(e.name)) return false;
  if (e.name && RETRYABLE_CODES.has(e.name)) return true;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (e.$fault === 'server' || (status !== undefined && (status >= 500 || status === 429))) return true;
  // A service answer blaming the request: retrying sends the same request again.
  if (e.$fault === 'client') return false;
  // No service answer at all (a socket or handler error): most likely transient.
  return true;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(maxMs, baseMs * 2^(attempt-1))].
 * Full jitter spreads the retries of many producers hitting one hot shard the most evenly.
 */
export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(Math.random() * ceiling);
}
