/**
 * What a Seneca caller learns of a failed act from the listener: the error replies (the plugin's policy; the
 * envelope itself is the wire module's).
 */
import { isSafeId } from '../../kinesis/src/index.js';
import type { SenecaInstance } from './seneca-types.js';
import {
  senecaErrorText,
  senecaReplyFor,
  type LegacySenecaAct,
  type SenecaReplyEnvelope,
} from './wire/index.js';

/**
 * An action's error as a caller sees it without `exposeErrors`: its code (and the original code an
 * act_execute wraps), a fixed message; never its message or details, which may quote the act or internals.
 */
export function errorForReply(error: unknown): Record<string, unknown> {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, any>;
  const code = isSafeId(fields.code) ? fields.code : 'act_execute';
  const origCode = fields.details?.orig$?.code;
  return {
    code,
    // act_execute wraps the action's own failure: the caller learns no more than that it failed internally.
    message: (code !== 'act_execute' && rejectionText(code)) || INTERNAL_ERROR_MESSAGE,
    name: 'Error',
    seneca: true,
    ...(isSafeId(origCode) ? { details: { orig$: { code: origCode } } } : {}),
  };
}

const INTERNAL_ERROR_MESSAGE = 'Internal error';

/**
 * seneca-transport's own text for one of its codes, as its errors render it (`seneca: ` + the text): fixed, so
 * no record content goes back. Only Seneca's own codes (an own property: a code such as `constructor` is none).
 */
function rejectionText(code: string): string | undefined {
  const text = senecaErrorText(code);
  return text === undefined ? undefined : `seneca: ${text}`;
}

/**
 * `handle_request` rejects some requests before any action runs (`message_loop`: this instance is already in
 * the act's track; `data_error`) and responds with only `{ input, error }`: no id, kind, origin or sync, so
 * the reply was never written and the caller waited for its timeout (e.g. a Nest handler calling back into
 * the Seneca instance that sent it the act). Completed from the request, the caller gets the error at once,
 * as from the Nest server (message_loop) and Seneca's http listener. The error carries its code and a fixed
 * message; with `exposeErrors` it is copied whole as `update_output` does (details may quote the request).
 * Not for `own_message` (this instance sent the request itself, and another listener may be answering it:
 * replying would fail that call).
 */
export function rejectionReply(
  seneca: SenecaInstance,
  request: LegacySenecaAct,
  out: SenecaReplyEnvelope | null,
  exposeErrors: boolean,
): SenecaReplyEnvelope | null {
  const error = out?.error as (Record<string, unknown> & Partial<Error>) | undefined;
  if (!error || error.code === 'own_message') return out;
  const code = typeof error.code === 'string' ? error.code : 'request_rejected';
  const now = Date.now();
  return senecaReplyFor(
    request,
    {
      // Copied whole with exposeErrors (as `update_output` does); else, and for a loop, code and fixed text.
      error:
        exposeErrors && code !== 'message_loop'
          ? { ...error, message: error.message, name: error.name ?? 'Error' }
          : {
              code,
              message: rejectionText(code) ?? 'seneca: Request rejected.',
              name: 'Error',
              seneca: true,
            },
    },
    seneca.id,
    { listenRecv: now, listenSent: now },
  ) as SenecaReplyEnvelope;
}
