import { TransportUtilsMissingError } from './errors.js';
import { clientHook } from './client.js';
import { listenHook } from './listener.js';
import { senecaLogger } from './logger.js';
import { resolveOptions, type KinesisSenecaOptions } from './options.js';
import type { SenecaInstance, TransportUtils } from './seneca-types.js';
import { SenecaKinesisTransport } from './transport.js';

export const PLUGIN_NAME = 'kinesis-transport';

export type KinesisTransportPlugin = (
  this: SenecaInstance,
  options?: KinesisSenecaOptions,
) => { name: string; exportmap: { transport: () => SenecaKinesisTransport } };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * The plugin with `options` bound to it. Needed for options that are objects with cycles (`awsClient`, a
 * Redis or DynamoDB `checkpointStore`): `seneca.use(plugin, options)` deep-merges its options and overflows
 * the stack on them. `Seneca({ transport: { kinesis: options } })` keeps them as they are too.
 * Precedence: Seneca's `transport.kinesis` < bound options < `seneca.use` options.
 */
export function createKinesisTransport(bound: KinesisSenecaOptions = {}): KinesisTransportPlugin {
  const plugin: KinesisTransportPlugin = function (this: SenecaInstance, useOptions = {}) {
    const tu = this.export('transport/utils') as Partial<TransportUtils> | undefined;
    if (typeof tu?.prepare_request !== 'function') throw new TransportUtilsMissingError();
    const utils = tu as TransportUtils;
    const fromSeneca = this.options().transport?.kinesis;
    const options = resolveOptions({ ...(isObject(fromSeneca) ? fromSeneca : {}), ...bound, ...useOptions });
    const transport = new SenecaKinesisTransport(options, options.logger ?? senecaLogger(this));

    this.add({ role: 'transport', hook: 'listen', type: 'kinesis' }, listenHook(transport, utils));
    this.add({ role: 'transport', hook: 'client', type: 'kinesis' }, clientHook(transport, utils));
    utils.close(this, function closeKinesisTransport(done) {
      transport.close().then(
        () => done(),
        (error: unknown) => done(error),
      );
    });

    // A function: Seneca deep-merges what a plugin returns, and the transport holds the AWS client.
    return { name: PLUGIN_NAME, exportmap: { transport: () => transport } };
  };
  // Seneca names a plugin after its function; a declared function's name cannot hold a dash.
  Object.defineProperty(plugin, 'name', { value: PLUGIN_NAME });
  return plugin;
}

/**
 * The Seneca plugin: `seneca.use(kinesisTransport, options)`, then `seneca.listen({ type: 'kinesis' })` and
 * `seneca.client({ type: 'kinesis' })`, with or without `pin`. Built on seneca-transport's utils, so envelopes,
 * topics, timeouts and error shapes are those of Seneca's own tcp and http transports.
 */
export const kinesisTransport: KinesisTransportPlugin = createKinesisTransport();
