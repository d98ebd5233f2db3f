/**
 * Per-message options (KinesisMessageBuilder) through a real Nest microservice and ClientKinesis on kinesalite:
 * partition key and explicit hash key choose the shard, metadata reaches the handler's context, a per-call
 * timeout wins over the client's, a handler's reply metadata reaches a caller that asks, bad options never leave.
 */
import { Controller, Module, type INestApplicationContext } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom, lastValueFrom, map, of, toArray } from 'rxjs';
import {
  ensureStream,
  InvalidExplicitHashKeyError,
  listShards,
  MAX_HASH_KEY,
  partitionKeyToHashKey,
  silentLogger,
  type ShardInfo,
} from '../../libs/kinesis/src/index.js';
import {
  ClientKinesis,
  InvalidMessageOptionsError,
  KinesisContext,
  KinesisMessage,
  KinesisMessageBuilder,
  RequestTimeoutError,
  ServerKinesis,
  type ClientKinesisOptions,
  type ServerKinesisOptions,
} from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { readAll } from '../support/stream-reader.js';
import { startClient, startMicroservice, type RunningService } from './fixtures.js';

interface Seen {
  data: unknown;
  shardId: string;
  partitionKey: string;
  metadata: Record<string, string>;
}
const seen: Seen[] = [];
const where = (data: unknown, ctx: KinesisContext): Seen => ({
  data,
  shardId: ctx.getShardId(),
  partitionKey: ctx.getPartitionKey(),
  metadata: ctx.getMetadata(),
});
/** Holds the 'held' handler until the test lets it go (no timing in the assertions). */
let release: () => void = () => undefined;

@Controller()
class OptionsController {
  @MessagePattern('where')
  where(@Payload() data: unknown, @Ctx() ctx: KinesisContext): Seen {
    return where(data, ctx);
  }

  @MessagePattern('tagged')
  tagged(@Payload() n: number, @Ctx() ctx: KinesisContext) {
    return new KinesisMessageBuilder(n * 2)
      .setMetadata({ 'x-served-by': 'orders', 'x-id': ctx.getId() })
      .build();
  }

  @MessagePattern('tagged.stream')
  taggedStream(@Payload() count: number) {
    return of(...Array.from({ length: count }, (_, i) => i)).pipe(
      map((i) => new KinesisMessageBuilder(i).setMetadata({ index: String(i) }).build()),
    );
  }

  @MessagePattern('held')
  held(): Promise<string> {
    return new Promise((resolve) => (release = () => resolve('released')));
  }

  @EventPattern<string>('seen') // Nest 12 types a literal's handler as (data, ...unknown[]): not a KinesisContext
  onSeen(@Payload() data: unknown, @Ctx() ctx: KinesisContext): void {
    seen.push(where(data, ctx));
  }
}

@Module({ controllers: [OptionsController] })
class OptionsModule {}

const endpoint = () => kinesisEndpoint('kinesalite');

describe('per-message options (KinesisMessageBuilder) on kinesalite', () => {
  let admin: KinesisClient;
  let service: RunningService;
  let shards: ShardInfo[];
  const apps: INestApplicationContext[] = [];
  const actStream = uniqueName('act');
  const resStream = uniqueName('res');
  const base = () => ({ endpoint: endpoint(), region: 'us-east-1', actStream, resStream });
  const serve = (options: Partial<ServerKinesisOptions> & { actStream: string; resStream: string }) =>
    startMicroservice(
      OptionsModule,
      new ServerKinesis({
        endpoint: endpoint(),
        region: 'us-east-1',
        pollIntervalMs: 20,
        logger: silentLogger,
        ...options,
      }),
    );
  async function client(options: ClientKinesisOptions = {}): Promise<ClientKinesis> {
    const { app, client } = await startClient({ ...base(), ...options });
    apps.push(app);
    return client;
  }
  /** The act shard whose hash key range covers `hashKey`. */
  const shardOf = (hashKey: bigint) =>
    shards.find((s) => BigInt(s.startingHashKey!) <= hashKey && hashKey <= BigInt(s.endingHashKey!))!.shardId;
  /** A partition key that Kinesis maps to `shardId` (md5 of the key, as the stream does). */
  const keyOn = (shardId: string) => {
    for (let i = 0; ; i++)
      if (shardOf(partitionKeyToHashKey(`tenant-${i}`)) === shardId) return `tenant-${i}`;
  };

  beforeAll(async () => {
    admin = kinesisClient('kinesalite');
    await ensureStream(admin, actStream, { shardCount: 2 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    shards = await listShards(admin, actStream);
    expect(shards).toHaveLength(2);
    service = await serve({ actStream, resStream });
  });
  afterAll(async () => {
    release();
    await Promise.all(apps.map((a) => a.close()));
    await service?.close();
    admin.destroy();
  });

  it('sends a call with its partition key: it lands on the shard the key maps to', async () => {
    const c = await client(); // partitionBy 'spread' (random keys): only the message's key places the call
    for (const shard of shards) {
      const key = keyOn(shard.shardId);
      const message = new KinesisMessageBuilder({ n: 1 }).setPartitionKey(key).build();
      const got = await firstValueFrom(c.send<Seen>('where', message));
      expect(got).toMatchObject({ data: { n: 1 }, partitionKey: key, shardId: shard.shardId });
    }
  });

  it('places a call and an event by an explicit hash key over the partition key', async () => {
    const c = await client();
    const [first, second] = shards;
    const key = keyOn(first.shardId); // the key alone would go to the first shard
    const message = new KinesisMessageBuilder('x')
      .setPartitionKey(key)
      .setExplicitHashKey(second.startingHashKey!)
      .build();
    expect(await firstValueFrom(c.send<Seen>('where', message))).toMatchObject({
      partitionKey: key,
      shardId: second.shardId,
    });
    await lastValueFrom(
      c.emit('seen', new KinesisMessageBuilder('hashed').setOptions(message.options).build()),
    );
    await eventually(() => seen.some((s) => s.data === 'hashed'), { message: 'the hashed event' });
    expect(seen.find((s) => s.data === 'hashed')).toMatchObject({
      partitionKey: key,
      shardId: second.shardId,
    });
  });

  it("hands the handler a call's and an event's metadata, merged over the dispatch hook's", async () => {
    const c = await client();
    c.setOnDispatchHook((packet) => {
      packet.metadata = { tenant: 'hook', trace: 'hook' };
    });
    const message = new KinesisMessageBuilder(1).setMetadata({ trace: 'message', locale: 'fr' }).build();
    const merged = { tenant: 'hook', trace: 'message', locale: 'fr' };
    expect((await firstValueFrom(c.send<Seen>('where', message))).metadata).toEqual(merged);
    await lastValueFrom(
      c.emit(
        'seen',
        new KinesisMessageBuilder('with-metadata').setMetadata({ trace: 'message', locale: 'fr' }).build(),
      ),
    );
    await eventually(() => seen.some((s) => s.data === 'with-metadata'), { message: 'the event' });
    expect(seen.find((s) => s.data === 'with-metadata')!.metadata).toEqual(merged);
  });

  it("fails a call at its own timeout, not the client's, and its request carries that deadline", async () => {
    const c = await client({ timeoutMs: 60_000 });
    const before = Date.now();
    const message = new KinesisMessageBuilder({ marker: 'held' }).setTimeout(300).build();
    const error = await firstValueFrom(c.send('held', message)).catch((e: unknown) => e);
    release();
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ pattern: 'held', timeoutMs: 300 });
    const sent = (await readAll(admin, actStream))
      .map((r) => JSON.parse(r.data.toString('utf8')) as { pattern: string; deadline?: number })
      .find((e) => e.pattern === 'held')!;
    expect(sent.deadline).toBeGreaterThanOrEqual(before + 300);
    expect(sent.deadline).toBeLessThan(before + 60_000);
  });

  it('yields a reply with the metadata its handler set, to a caller that asks; data alone otherwise', async () => {
    const c = await client();
    expect(await firstValueFrom(c.send('tagged', 2))).toBe(4);
    const message = new KinesisMessageBuilder(2).withReplyMetadata().build();
    const reply = await firstValueFrom(c.send<KinesisMessage<number>>('tagged', message));
    expect(reply).toBeInstanceOf(KinesisMessage);
    expect(reply.data).toBe(4);
    expect(reply.metadata).toEqual({ 'x-served-by': 'orders', 'x-id': expect.any(String) });
    const stream = new KinesisMessageBuilder(3).withReplyMetadata().build();
    const values = await lastValueFrom(
      c.send<KinesisMessage<number>>('tagged.stream', stream).pipe(toArray()),
    );
    expect(values.map((v) => [v.data, v.metadata])).toEqual([
      [0, { index: '0' }],
      [1, { index: '1' }],
      [2, { index: '2' }],
    ]);
    expect(await lastValueFrom(c.send('tagged.stream', 2).pipe(toArray()))).toEqual([0, 1]);
  });

  it('refuses an invalid hash key and metadata over the bounds before anything is sent', async () => {
    const c = await client();
    // Nest runs the hook before the client unwraps the message: 20 entries on every packet.
    c.setOnDispatchHook((packet) => {
      packet.metadata = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`h${i}`, 'v']));
    });
    const tooHigh = (MAX_HASH_KEY + 1n).toString();
    expect(() => new KinesisMessageBuilder('x').setExplicitHashKey(tooHigh).build()).toThrow(
      InvalidExplicitHashKeyError,
    );
    const refused = [
      new KinesisMessage('hash', { explicitHashKey: tooHigh }),
      new KinesisMessage('big', { metadata: { k: 'v'.repeat(8_193) } }),
      // Each part within the bounds, together over them (20 + 20 entries > 32).
      new KinesisMessage('merged', {
        metadata: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`m${i}`, 'v'])),
      }),
    ];
    for (const message of refused) {
      const error = await firstValueFrom(c.send('refused', message)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(
        message.data === 'hash' ? InvalidExplicitHashKeyError : InvalidMessageOptionsError,
      );
      await expect(lastValueFrom(c.emit('refused', message))).rejects.toThrow(error as Error);
    }
    // A call that is sent shows the act stream is read back: none of the refused ones is on it.
    expect(await firstValueFrom(c.send<Seen>('where', 'after'))).toMatchObject({ data: 'after' });
    const patterns = (await readAll(admin, actStream)).map(
      (r) => JSON.parse(r.data.toString('utf8')).pattern,
    );
    expect(patterns).toContain('where');
    expect(patterns).not.toContain('refused');
  });

  it("skips an event read after its timeout (the event's expiry)", async () => {
    const act = uniqueName('act-expiry');
    await ensureStream(admin, act, { shardCount: 1 });
    const c = await client({ actStream: act });
    const message = new KinesisMessageBuilder('expired').setTimeout(1).build();
    await lastValueFrom(c.emit('seen', message));
    const emitted = Date.now(); // the event's deadline is at most emitted + 1
    await eventually(() => Date.now() > emitted + 1, { message: 'the expiry passed' });
    await lastValueFrom(c.emit('seen', 'kept'));
    const late = await serve({ actStream: act, resStream }); // reads both from TRIM_HORIZON
    try {
      await eventually(() => seen.some((s) => s.data === 'kept'), { message: 'the event without expiry' });
      expect(seen.map((s) => s.data)).not.toContain('expired');
      expect(late.server.stats.expired).toBe(1);
    } finally {
      await late.close();
    }
  });

  it('signs what a message adds: metadata and reply metadata verify, forged metadata is refused', async () => {
    const signing = { keys: { k1: 'k'.repeat(32) } };
    const act = uniqueName('act-signed');
    await ensureStream(admin, act, { shardCount: 1 });
    const signed = await serve({ actStream: act, resStream, signing });
    try {
      const c = await client({ actStream: act, signing });
      const message = new KinesisMessageBuilder('signed').setMetadata({ role: 'reader' }).build();
      expect((await firstValueFrom(c.send<Seen>('where', message))).metadata).toEqual({ role: 'reader' });
      const tagged = new KinesisMessageBuilder(1).withReplyMetadata().build();
      expect((await firstValueFrom(c.send<KinesisMessage>('tagged', tagged))).metadata).toMatchObject({
        'x-served-by': 'orders',
      });
      // The same signed request with its metadata changed: the signature no longer verifies.
      const [request] = (await readAll(admin, act)).filter((r) => r.data.includes('"role":"reader"'));
      const forged = request.data.toString('utf8').replace('"role":"reader"', '"role":"admin"');
      await putRaw(admin, act, [{ data: forged, key: request.partitionKey }]);
      await eventually(() => signed.server.stats.badSignature === 1, {
        message: 'the forged request refused',
      });
      expect(signed.server.stats.handled).toBe(2);
    } finally {
      await signed.close();
    }
  });

  it("refuses a message's options with protocol 'seneca' (its topics decide keys)", async () => {
    const c = await client({ protocol: 'seneca', timeoutMs: 2_000 });
    const message = new KinesisMessageBuilder({ role: 'x' }).setPartitionKey('k').build();
    const error = await firstValueFrom(c.send({ role: 'math', cmd: 'sum' }, message)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidMessageOptionsError);
    expect((error as Error).message).toMatch(/protocol 'seneca' takes no message options \(partitionKey\)/);
    const event = new KinesisMessageBuilder({ x: 1 }).setMetadata({ a: 'b' }).build();
    await expect(lastValueFrom(c.emit({ role: 'audit' }, event))).rejects.toThrow(InvalidMessageOptionsError);
  });
});
