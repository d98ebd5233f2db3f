/**
 * Nest guards on handlers served over Kinesis: a denying guard stops the handler and the caller gets the error
 * Nest's microservices give (`Forbidden resource`), guards get their dependencies injected and read the
 * KinesisContext through ExecutionContext.switchToRpc().
 */
import 'reflect-metadata';
import {
  Controller,
  Injectable,
  Module,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplicationContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { KinesisContext, type ClientKinesis } from '../../libs/transport/src/index.js';
import { eventually } from '../support/harness.js';
import { caller, oneShardStreams, serve, type RunningService, type StreamPair } from './nest-fixtures.js';

const Roles = Reflector.createDecorator<string[]>();

/** What each guard saw and which handlers ran: a test tells "denied" from "ran and failed". */
const seen: Array<{ guard: string; type: string; context: unknown; id: string }> = [];
const handled: string[] = [];

interface Request {
  id: string;
  role?: string;
  tenant?: string;
  token?: string;
}

@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const data = context.switchToRpc().getData<Request>();
    seen.push({ guard: 'roles', type: context.getType(), context: undefined, id: data.id });
    const roles = this.reflector.get(Roles, context.getHandler()) ?? [];
    return roles.includes(data.role ?? '');
  }
}

/** Lets a tenant's records through by their partition key (the caller's partitionBy puts the tenant there). */
@Injectable()
class TenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const rpc = context.switchToRpc();
    const ctx = rpc.getContext<KinesisContext>();
    const id = rpc.getData<Request>().id;
    seen.push({ guard: 'tenant', type: context.getType(), context: ctx, id });
    return ctx instanceof KinesisContext && ctx.getPartitionKey() === 'tenant-a';
  }
}

/** A guard may throw instead of returning false: its exception reaches the caller as is. */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToRpc().getData<Request>().token === 'secret') return true;
    throw new RpcException({ code: 'E_UNAUTHENTICATED', message: 'a token is required' });
  }
}

@Controller()
class GuardedController {
  @MessagePattern('admin.stats')
  @Roles(['admin'])
  @UseGuards(RolesGuard)
  stats(@Payload() { id }: Request) {
    handled.push(id);
    return { id, orders: 42 };
  }

  @MessagePattern('tenant.read')
  @UseGuards(TenantGuard)
  tenantRead(@Payload() { id, tenant }: Request) {
    handled.push(id);
    return { id, tenant };
  }

  @MessagePattern('token.read')
  @UseGuards(TokenGuard)
  tokenRead(@Payload() { id }: Request) {
    handled.push(id);
    return { id };
  }

  @EventPattern('tenant.changed')
  @UseGuards(TenantGuard)
  tenantChanged(@Payload() { id }: Request) {
    handled.push(id);
  }
}

@Module({ controllers: [GuardedController], providers: [RolesGuard, TenantGuard] })
class GuardedModule {}

const FORBIDDEN = { status: 'error', message: 'Forbidden resource' };

describe('Nest guards over the Kinesis transporter', () => {
  let streams: StreamPair;
  let service: RunningService;
  let app: INestApplicationContext;
  let client: ClientKinesis;
  const call = (pattern: string, data: Request) => firstValueFrom(client.send(pattern, data));

  beforeAll(async () => {
    streams = await oneShardStreams('guards');
    service = await serve(GuardedModule, streams);
    // The tenant becomes the partition key of every record: what TenantGuard reads from the KinesisContext.
    ({ app, client } = await caller(streams, {
      partitionBy: ({ data }) => (data as Request).tenant ?? 'no-tenant',
    }));
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  it('a denying guard: the caller gets Forbidden resource, the handler does not run', async () => {
    await expect(call('admin.stats', { id: 'r1', role: 'guest' })).rejects.toEqual(FORBIDDEN);
    expect(seen).toContainEqual(expect.objectContaining({ guard: 'roles', type: 'rpc', id: 'r1' }));
    expect(handled).not.toContain('r1');
  });

  it('an allowing guard (metadata read through the injected Reflector): the handler answers', async () => {
    await expect(call('admin.stats', { id: 'r2', role: 'admin' })).resolves.toEqual({ id: 'r2', orders: 42 });
    expect(handled).toContain('r2');
  });

  it('a guard reads the KinesisContext: the partition key decides, shard and pattern are there', async () => {
    await expect(call('tenant.read', { id: 't1', tenant: 'tenant-a' })).resolves.toEqual({
      id: 't1',
      tenant: 'tenant-a',
    });
    await expect(call('tenant.read', { id: 't2', tenant: 'tenant-b' })).rejects.toEqual(FORBIDDEN);
    expect(handled).toContain('t1');
    expect(handled).not.toContain('t2');
    const ctx = seen.find((s) => s.id === 't1')?.context as KinesisContext;
    expect(ctx).toBeInstanceOf(KinesisContext);
    expect(ctx.getPattern()).toBe('tenant.read');
    expect(ctx.getShardId()).toMatch(/^shardId-/);
    expect(ctx.getSequenceNumber()).toMatch(/^\d+$/);
  });

  it("a guard's own exception reaches the caller instead of Forbidden", async () => {
    await expect(call('token.read', { id: 'k1' })).rejects.toEqual({
      code: 'E_UNAUTHENTICATED',
      message: 'a token is required',
    });
    await expect(call('token.read', { id: 'k2', token: 'secret' })).resolves.toEqual({ id: 'k2' });
    expect(handled).not.toContain('k1');
  });

  it('a guard on an @EventPattern drops a denied event and passes an allowed one', async () => {
    const emit = (data: Request) =>
      firstValueFrom(client.emit('tenant.changed', data), { defaultValue: undefined });
    // One shard, handled in order: once the later event is handled, the earlier one has been through its guard.
    await emit({ id: 'e1', tenant: 'tenant-b' });
    await emit({ id: 'e2', tenant: 'tenant-a' });
    await eventually(() => handled.includes('e2'), { message: 'the allowed event' });
    expect(seen.map((s) => s.id)).toContain('e1');
    expect(handled).not.toContain('e1');
    // Refused on purpose, not failed: counted, neither retried nor dead-lettered.
    expect(service.server.stats).toMatchObject({ eventsDenied: 1, eventRetries: 0, eventsDeadLettered: 0 });
  });
});
