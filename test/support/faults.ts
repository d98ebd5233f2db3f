/**
 * Fault injection on a client that still talks to the real emulator: a middleware that, for the
 * commands named, may answer with an injected error or rewrite what goes out and comes back.
 * Only for faults the emulators cannot produce (throttling, partial failures, expired iterators).
 */
import type { MiddlewareStack } from '@smithy/types';

export interface FaultContext {
  commandName: string;
  input: any;
  /** Sends `input` (possibly changed) to the real server. */
  send(input?: any): Promise<any>;
}

/** Returns the output to use (from `send` or made up), or throws the injected error. */
export type FaultHandler = (context: FaultContext) => Promise<any>;

export interface FaultInjector {
  /** How many times each command went through the middleware. */
  calls: Map<string, number>;
  remove(): void;
}

export function injectFaults(
  client: { middlewareStack: MiddlewareStack<any, any> },
  handlers: Record<string, FaultHandler>,
): FaultInjector {
  const calls = new Map<string, number>();
  const name = `fault-injector-${Math.random()}`;
  client.middlewareStack.add(
    (next: any, context: any): any =>
      async (args: any) => {
        const commandName = String(context.commandName ?? '').replace(/Command$/, '');
        calls.set(commandName, (calls.get(commandName) ?? 0) + 1);
        const handler = handlers[commandName];
        if (!handler) return next(args);
        const output = await handler({
          commandName,
          input: args.input,
          send: async (input = args.input) => (await next({ ...args, input })).output,
        });
        return { output, response: {} };
      },
    { step: 'initialize', name },
  );
  return { calls, remove: () => client.middlewareStack.remove(name) };
}

/** An error shaped like the SDK's service exceptions (name, $fault, $metadata). */
export function serviceError(name: string, message = name, fault: 'client' | 'server' = 'client'): Error {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: 400 } });
}
