/** A Nest service reachable from Seneca (object patterns), and Nest clients in seneca mode, for test/seneca. */
import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import {
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RpcException,
  type ClientProxy,
} from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { silentLogger, type Logger } from '../../libs/kinesis/src/index.js';
import {
  KinesisContext,
  ServerKinesis,
  SenecaContext,
  SenecaExceptionFilter,
  type ClientKinesisOptions,
  type ServerKinesisOptions,
} from '../../libs/transport/src/index.js';
import {
  kinesisClientsModule,
  startClient,
  startMicroservice,
  type RunningService,
} from '../transport/fixtures.js';

/** The Seneca act a handler serves (undefined for a native request). */
export const senecaOf = (ctx: KinesisContext) => (ctx instanceof SenecaContext ? ctx.getSeneca() : undefined);

/** How often each marker reached a handler (markers are unique per test). */
export const hits = new Map<string, number>();
const hit = (marker: string) => {
  hits.set(marker, (hits.get(marker) ?? 0) + 1);
  return hits.get(marker)!;
};

/** Inside the service: a client with another instance id, and one sharing the server's (a loop through it). */
const INNER = 'INNER_SENECA_CLIENT';
const LOOPING = 'LOOPING_SENECA_CLIENT';

@Controller()
class SenecaMathController {
  constructor(
    @Inject(INNER) private readonly inner: ClientProxy,
    @Inject(LOOPING) private readonly looping: ClientProxy,
  ) {}

  @MessagePattern({ role: 'math' })
  generic(@Payload() msg: { cmd: string }) {
    return { handler: 'role:math', cmd: msg.cmd };
  }

  @MessagePattern({ role: 'math', cmd: 'sum' })
  sum(@Payload() { left, right }: { left: number; right: number }) {
    return { answer: left + right };
  }

  @MessagePattern({ role: 'math', cmd: 'sum', exact: 'yes' })
  exact() {
    return { handler: 'exact' };
  }

  @MessagePattern({ role: 'math', cmd: 'fail' })
  fail(): never {
    throw new RpcException({ code: 'KABOOM', message: 'kaboom', details: { x: 1 } });
  }

  @MessagePattern({ role: 'math', cmd: 'throw' })
  throws(): never {
    throw Object.assign(new TypeError('bad input'), { code: 'E_BAD' });
  }

  @MessagePattern({ role: 'value' })
  value(@Payload() { kind }: { kind: string }) {
    const values: Record<string, unknown> = {
      number: 3,
      string: 'three',
      boolean: false,
      null: null,
      undefined: undefined,
      array: [1, 'two', { three: 3 }],
      nested: { a: { b: [1, { c: null }] } },
    };
    return values[kind];
  }

  @MessagePattern({ role: 'ctx' })
  ctx(@Payload() payload: unknown, @Ctx() ctx: KinesisContext) {
    return { payload, seneca: senecaOf(ctx), id: ctx.getId(), pattern: ctx.getPattern() };
  }

  @MessagePattern({ role: 'count' })
  count(@Payload() { marker }: { marker: string }) {
    return { marker, count: hit(marker) };
  }

  @EventPattern({ role: 'audit' })
  audit(@Payload() { marker }: { marker: string }) {
    hit(marker);
  }

  /** A string pattern that looks like an object one: Seneca acts never reach string patterns. */
  @MessagePattern('{"role":"strpat"}')
  stringPattern() {
    return { reached: true };
  }

  @MessagePattern('native.sum')
  nativeSum(@Payload() numbers: number[]) {
    return numbers.reduce((a, b) => a + b, 0);
  }

  /** Calls on through a client of another instance: the inner act continues this act's track and tx. */
  @MessagePattern({ role: 'chain', cmd: 'nested' })
  async nested(@Payload() data: { marker: string }, @Ctx() ctx: KinesisContext) {
    const inner = await firstValueFrom(this.inner.send({ role: 'ctx' }, data));
    return { outer: senecaOf(ctx), inner };
  }

  /** Calls on through a client with this server's instance id: the act comes back here, a loop. */
  @MessagePattern({ role: 'chain', cmd: 'loop' })
  async loop(@Payload() { marker }: { marker: string }) {
    try {
      return await firstValueFrom(this.looping.send({ role: 'count' }, { marker }));
    } catch (error) {
      const { code, message } = error as { code: string; message: string };
      return { code, message };
    }
  }
}

export interface SenecaServiceOptions extends ServerKinesisOptions {
  /** Instance id of the server (and of its looping client). */
  instanceId: string;
  innerInstanceId: string;
}

export type RunningSenecaService = RunningService;

function serviceModule(o: SenecaServiceOptions): DynamicModule {
  const client = (instanceId: string): ClientKinesisOptions => ({
    ...transportOf(o),
    protocol: 'seneca',
    seneca: { instanceId },
    timeoutMs: 10_000,
    pollIntervalMs: 50,
    logger: silentLogger,
  });
  @Module({})
  class SenecaServiceModule {}
  return {
    module: SenecaServiceModule,
    imports: [kinesisClientsModule({ [INNER]: client(o.innerInstanceId), [LOOPING]: client(o.instanceId) })],
    controllers: [SenecaMathController],
  };
}

const transportOf = ({ endpoint, region, actStream, resStream }: ServerKinesisOptions) => ({
  endpoint,
  region,
  actStream,
  resStream,
});

export async function startSenecaService(
  o: SenecaServiceOptions,
  logger: Logger,
): Promise<RunningSenecaService> {
  const { instanceId, innerInstanceId: _inner, ...serverOptions } = o;
  // Nested calls go to the same topic, so the same shard: a handler waiting on one needs a second slot.
  const server = new ServerKinesis({
    pollIntervalMs: 50,
    concurrency: 8,
    logger,
    ...serverOptions,
    seneca: { instanceId },
  });
  return startMicroservice(serviceModule(o), server, new SenecaExceptionFilter({ exposeErrors: true }));
}

/** A caller app with one client (test/transport's startClient), calls timing out after 10 s. */
export function startCaller(
  options: ClientKinesisOptions,
): Promise<{ app: INestApplicationContext; client: ClientProxy }> {
  return startClient({ timeoutMs: 10_000, ...options });
}
