/**
 * `@opentelemetry/api` is an optional peer: without it every instrument and span here is a no-op. It is loaded
 * once, at first use, through loadPeer (both builds); until the load settles (a few ms after the first import of
 * the core) telemetry is off. Async start points (a client's connect, a server's listen) await `otelReady()`.
 */
import type * as OtelApiModule from '@opentelemetry/api';
import { MissingPeerDependencyError } from '../errors.js';
import { loadPeer } from '../peer.js';

export type OtelApi = typeof OtelApiModule;

export const OTEL_API_PACKAGE = '@opentelemetry/api';

/** The API module, or undefined when it is not installed (any other load failure is thrown). */
export async function loadOtelApi(name = OTEL_API_PACKAGE): Promise<OtelApi | undefined> {
  try {
    const loaded = await loadPeer<OtelApi & { default?: OtelApi }>(name, 'telemetry');
    // CommonJS interop under ESM: the named exports may sit on `default`.
    return loaded.trace ? loaded : loaded.default;
  } catch (error) {
    if (error instanceof MissingPeerDependencyError) return undefined;
    throw error;
  }
}

let api: OtelApi | undefined;
let loading: Promise<void> | undefined;

/** Resolves once the API is loaded, or known to be missing (never rejects: telemetry never fails a caller). */
export function otelReady(): Promise<void> {
  loading ??= loadOtelApi().then(
    (loaded) => void (api = loaded),
    () => undefined,
  );
  return loading;
}

/** The API when it is loaded (undefined before, or when it is not installed): every caller falls back to no-op. */
export function otelApi(): OtelApi | undefined {
  if (!loading) void otelReady();
  return api;
}

// Started when the core is first imported: by the first record read or put, the API is there (or known absent).
void otelReady();
