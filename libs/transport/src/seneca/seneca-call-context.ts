import { AsyncLocalStorage } from 'node:async_hooks';

/** The Seneca act a Nest handler is serving, as far as calls it makes in turn need to know. */
export interface SenecaCallContext {
  /** The incoming act's track: a call made while serving it continues the track (loop detection). */
  track: string[];
  /** The incoming transaction id: nested calls stay in the same transaction, as in Seneca. */
  tx: string;
  /** The incoming custom$: passed on to nested calls, as Seneca does. */
  custom: Record<string, unknown> | undefined;
}

/** Set by the server around a handler serving a Seneca act; read by ClientKinesis with protocol `seneca`. */
export const senecaCallContext = new AsyncLocalStorage<SenecaCallContext>();

/** What `SenecaContext.getSeneca()` gives a handler serving a Seneca act. */
export interface SenecaActInfo {
  /** `<mi>/<tx>` as the caller wrote it. */
  id: string;
  mi: string;
  /** The transaction id. */
  tx: string;
  /** The caller's instance id. */
  origin: string | undefined;
  /** The instances the act went through, the caller last. */
  track: string[];
  /** The act's custom$ (next-gen: meta$.custom). */
  custom: Record<string, unknown> | undefined;
  /** Whether the caller waits for a reply. */
  sync: boolean;
  /** The topic the act was sent to (its partition key without `_act`). */
  topic: string;
  format: 'legacy' | 'next';
}
