/**
 * The one place the adapters get their wire protocols from, as `protocol` chooses: the adapters name no
 * protocol's files (native code never imports Seneca; this module is where both meet).
 */
import { NativeClientProtocol } from './native/native-client-protocol.js';
import { NativeServerProtocol } from './native/native-server-protocol.js';
import { EnvelopeSigner, SigningOptionsError } from './native/signing.js';
import { SenecaClientProtocol } from './seneca/seneca-client-protocol.js';
import { SenecaServerProtocol, type SenecaServerInfo } from './seneca/seneca-server-protocol.js';
import type {
  ClientProtocol,
  ClientProtocolContext,
  ServerProtocol,
  ServerProtocolContext,
} from './shared/protocol.js';

export type { SenecaServerInfo } from './seneca/seneca-server-protocol.js';

/** What ClientKinesis tells of its Seneca side (`client.seneca`). */
export interface SenecaClientInfo {
  /** `origin` of acts and the last entry of their track. */
  readonly instanceId: string;
}

export interface ServerProtocols {
  /** Asked in this order: the first that accepts a record serves it (`auto`: Seneca by shape, then native). */
  readonly list: ServerProtocol[];
  /** With `signing`: verifies every act-stream record before it is parsed, whatever its protocol. */
  readonly signer: EnvelopeSigner | undefined;
  readonly seneca: SenecaServerInfo | undefined;
}

const SENECA_UNSIGNED = 'signing: Seneca acts carry no signature';

/** The server's protocols: `auto` (native + Seneca, told apart by shape), `native` or `seneca`. */
export function serverProtocols(ctx: ServerProtocolContext): ServerProtocols {
  const { protocol, signing } = ctx.options;
  if (signing && protocol === 'seneca')
    throw new SigningOptionsError(
      `${SENECA_UNSIGNED}; use it with protocol 'native' (or 'auto' to serve both)`,
    );
  const signer = EnvelopeSigner.from(signing);
  const seneca = protocol === 'native' ? undefined : new SenecaServerProtocol(ctx);
  const native = protocol === 'seneca' ? undefined : new NativeServerProtocol(ctx, signer);
  return { list: [seneca, native].filter((p) => p !== undefined), signer, seneca };
}

/** The client's protocol: `native` (default) or `seneca`. */
export function clientProtocol(ctx: ClientProtocolContext): {
  protocol: ClientProtocol;
  seneca: SenecaClientInfo | undefined;
} {
  const { protocol, signing } = ctx.options;
  if (protocol !== 'seneca')
    return { protocol: new NativeClientProtocol(ctx, EnvelopeSigner.from(signing)), seneca: undefined };
  if (signing) throw new SigningOptionsError(`${SENECA_UNSIGNED}; use it with the native protocol`);
  const seneca = new SenecaClientProtocol(ctx);
  return { protocol: seneca, seneca };
}
