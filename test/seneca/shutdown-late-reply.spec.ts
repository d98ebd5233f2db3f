/**
 * ServerKinesis.close() with protocol 'seneca': a sync act whose handler finishes after its shard's final
 * checkpoint was taken is past that checkpoint, so it is read again after a restart. Its reply must be refused
 * then (as the native protocol's is: test/transport/shutdown-late-reply.spec.ts), or the act is answered twice.
 */
import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import {
  actPartitionKey,
  decodeSenecaReply,
  encodeSenecaAct,
  newSenecaInstanceId,
  newSenecaMessageId,
  SENECA_ANY_TOPIC,
} from '../../libs/seneca/src/wire/index.js';
import { ServerKinesis } from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { Gates, HookedStore } from '../support/held-work.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { readStream } from '../support/stream-reader.js';
import { startMicroservice, type RunningService } from '../transport/fixtures.js';

const gates = new Gates();
const gate = (tag: string) => gates.gate(tag);
const calls: string[] = [];

@Controller()
class HeldActController {
  @MessagePattern({ role: 'held' })
  async held(@Payload() { gate: id }: { gate: string }): Promise<{ done: string }> {
    calls.push(id);
    await gate(id).opened;
    return { done: id };
  }
}

@Module({ controllers: [HeldActController] })
class HeldActModule {}

describe('ServerKinesis.close(), protocol seneca: replies past the final checkpoint (kinesalite)', () => {
  let admin: KinesisClient;
  const services: RunningService[] = [];
  beforeAll(() => (admin = kinesisClient('kinesalite')));
  afterAll(async () => {
    gates.openAll();
    await Promise.all(services.map((s) => s.close()));
    admin.destroy();
  });

  it('refuses a Seneca reply finishing right after its shard checkpointed, and answers it once after restart', async () => {
    const actStream = uniqueName('act-seneca-final');
    const resStream = uniqueName('res-seneca-final');
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    const [early, late] = [newSenecaMessageId(), newSenecaMessageId()];
    const origin = newSenecaInstanceId();
    const act = (id: string) => ({
      data: encodeSenecaAct({
        id,
        origin,
        track: [origin],
        act: { role: 'held', gate: id },
        sync: true,
        pat: '',
      }),
      key: actPartitionKey(SENECA_ANY_TOPIC),
    });
    const replyIds = async () =>
      (await readStream(admin, resStream)).flatMap((s) => s.records.map((r) => decodeSenecaReply(r.data).id));
    const store = new HookedStore();
    const serve = async () => {
      const server = new ServerKinesis({
        endpoint: kinesisEndpoint('kinesalite'),
        region: 'us-east-1',
        actStream,
        resStream,
        protocol: 'seneca',
        checkpointStore: store,
        pollIntervalMs: 20,
        concurrency: 2,
        closeGracePeriodMs: 4_000,
        logger: silentLogger,
      });
      const service = await startMicroservice(HeldActModule, server);
      services.push(service);
      return service;
    };
    await putRaw(admin, actStream, [act(early), act(late)]);
    const a = await serve();
    await eventually(() => calls.includes(early) && calls.includes(late), {
      message: 'both handlers running',
    });

    const closed = a.close();
    // `early` finishes inside the grace period, after reading stopped: the final checkpoint moves to it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The final checkpoint is taken: `late` finishes now, before close() has returned. Its reply is refused
    // (without the fix it goes out: wait for whichever happens).
    store.beforeSet = async () => {
      gate(late).open();
      await eventually(async () => a.server.stats.lateReplies > 0 || (await replyIds()).includes(late), {
        message: 'the late reply refused or written',
      });
    };
    gate(early).open();
    await closed;

    expect(await replyIds()).toEqual([early]);
    expect(a.server.stats.lateReplies).toBe(1);
    const shardId = (await readStream(admin, actStream))[0].shardId;
    expect(await store.get(actStream, shardId)).toBeDefined(); // `early` checkpointed: the hook ran

    const b = await serve(); // `late` is read again (its gate is open now) and answered once
    await eventually(async () => (await replyIds()).length === 2, { message: 'the late act answered' });
    expect(await replyIds()).toEqual([early, late]);
    expect(calls).toEqual([early, late, late]);
    expect(b.server.stats.lateReplies).toBe(0);
  }, 60_000);
});
