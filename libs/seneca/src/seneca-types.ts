/**
 * The small part of Seneca 3 (and of seneca-transport's `transport/utils`) this plugin uses. Seneca's own
 * declarations type nearly everything as `any`; these keep the plugin's code checked. The envelopes on the wire
 * are the wire module's types.
 */
import type { SenecaActEnvelope, SenecaReplyEnvelope } from './wire/index.js';

export interface SenecaLog {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The callback of a Seneca action. */
export type SenecaReplyCallback = (error: Error | null, out?: unknown) => void;

/** What Seneca knows about one call: `id` is `<mi>/<tx>`; `sync` is false for fire-and-forget. */
export interface SenecaMeta {
  id: string;
  mi: string;
  tx: string;
  sync: boolean;
  pattern?: string;
  custom?: unknown;
}

export type SenecaMessage = Record<string, unknown>;

export type SenecaAction = (
  this: SenecaInstance,
  msg: SenecaMessage,
  reply: SenecaReplyCallback,
  meta?: SenecaMeta,
) => void;

export interface SenecaInstance {
  readonly id: string;
  readonly root: SenecaInstance;
  readonly log: SenecaLog;
  readonly util: { Nid(): string };
  delegate(): SenecaInstance;
  add(pattern: string | SenecaMessage, action: SenecaAction): SenecaInstance;
  export(name: string): unknown;
  options(): { transport?: Record<string, unknown> } & Record<string, unknown>;
  /** The action an act would run (most specific pattern), or null. */
  find?(msg: SenecaMessage): { pattern: string; msgcanon: SenecaMessage } | null;
  /** The patterns of the actions under any of `pins` (a pin `{}` lists every action). */
  findpins?(pins: SenecaMessage[]): SenecaMessage[];
}

export type SendFunction = (
  this: SenecaInstance,
  msg: SenecaMessage,
  reply: SenecaReplyCallback,
  meta: SenecaMeta,
) => void;

/** seneca-transport calls this once per topic a client sends on (`seneca_any` for a client with no pin). */
export type MakeSend = (
  spec: unknown,
  topic: string,
  sendDone: (error: Error | null, send?: SendFunction) => void,
) => void;

/** The options object seneca-transport hands back to listen/client callbacks and logs. */
export type TransportArgs = Record<string, unknown>;

/** seneca-transport's `transport/utils` (lib/transport-utils.js), the parts used here. */
export interface TransportUtils {
  prepare_request(
    seneca: SenecaInstance,
    msg: SenecaMessage,
    reply: SenecaReplyCallback,
    meta: SenecaMeta,
  ): SenecaActEnvelope;
  handle_request(
    seneca: SenecaInstance,
    data: SenecaActEnvelope,
    listenOptions: TransportArgs,
    respond: (out: SenecaReplyEnvelope | null) => void,
  ): void;
  /** False when the reply was dropped (not `res`, another instance's, an unknown id). */
  handle_response(seneca: SenecaInstance, data: unknown, clientOptions: TransportArgs): boolean;
  make_client(
    seneca: SenecaInstance,
    makeSend: MakeSend,
    clientOptions: TransportArgs,
    done: (error: Error | null, client?: unknown) => void,
  ): void;
  listen_topics(seneca: SenecaInstance, args: TransportArgs, listenOptions: TransportArgs): string[];
  /** `pin`/`pins` of listen or client options as pattern objects; falsy when unpinned. */
  resolve_pins?(options: TransportArgs): SenecaMessage[] | null | undefined;
  _msgprefix?: string;
  close(
    seneca: SenecaInstance,
    closer: (this: SenecaInstance, done: (error?: unknown) => void) => void,
  ): void;
}
