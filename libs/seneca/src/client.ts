import { RequestNotSentError } from './errors.js';
import { streamOverrides } from './options.js';
import type {
  MakeSend,
  SenecaAction,
  SenecaInstance,
  SendFunction,
  TransportArgs,
  TransportUtils,
} from './seneca-types.js';
import type { SenecaKinesisTransport } from './transport.js';
import { actPartitionKey, encodeSenecaEnvelope, type SenecaActEnvelope } from './wire/index.js';

/** `role:transport,hook:client,type:kinesis`: what `seneca.client({ type: 'kinesis' })` runs. */
export function clientHook(transport: SenecaKinesisTransport, tu: TransportUtils): SenecaAction {
  return function hookClientKinesis(this: SenecaInstance, args, done) {
    const seneca = this.root.delegate();
    const streams = streamOverrides(transport.options, args);
    // seneca-transport's make_pinclient reads `self._context` (an undefined `self`) when no id is given.
    const id = typeof args.id === 'string' && args.id !== '' ? args.id : seneca.util.Nid();
    const clientOptions: TransportArgs = { ...args, ...streams, id };
    const requests = transport.stream(streams.actStream);

    // Called once per topic the client sends on; the reply reader is up before the first request goes out.
    const makeSend: MakeSend = (_spec, topic, sendDone) => {
      transport
        .followReplies(streams.resStream, topic, streams.pollIntervalMs, (data) =>
          tu.handle_response(seneca, data, clientOptions),
        )
        .then(
          () => sendDone(null, sendOn(topic)),
          (error: unknown) => sendDone(error instanceof Error ? error : new Error(String(error))),
        );
    };

    const sendOn = (topic: string): SendFunction => {
      const partitionKey = actPartitionKey(topic);
      return function send(this: SenecaInstance, msg, reply, meta) {
        // With `meta`, the envelope carries this call's id: each reply finds its own caller.
        const request = tu.prepare_request(this, msg, reply, meta);
        let data: Buffer;
        try {
          data = encodeSenecaEnvelope(request);
        } catch (error) {
          return notSent(request, partitionKey, error);
        }
        requests.put(partitionKey, data).catch((error: unknown) => notSent(request, partitionKey, error));
      };
    };

    /** Settles the call at once with the put's failure instead of letting it run into its timeout. */
    const notSent = (request: SenecaActEnvelope, partitionKey: string, cause: unknown) => {
      const error = new RequestNotSentError(requests.name, partitionKey, { cause });
      transport.logger.error('request not sent', {
        id: request.id,
        stream: requests.name,
        error: error.message,
      });
      if (request.sync === false) return; // fire-and-forget: the caller was answered already
      tu.handle_response(
        seneca,
        {
          id: request.id,
          kind: 'res',
          origin: request.origin,
          sync: true,
          // `seneca: true`: Seneca passes the code through as it does action_timeout's, instead of act_execute.
          error: { code: error.code, message: error.message, name: error.name, seneca: true },
        },
        clientOptions,
      );
    };

    tu.make_client(seneca, makeSend, clientOptions, done);
  };
}
