/**
 * ServerKinesis.close(): a handler that finishes after its shard's final checkpoint was taken is past that
 * checkpoint, so its record is read again after a restart. Its reply must be refused from that moment, not
 * only once the consumer has stopped: otherwise it is answered now and again after the restart.
 */
import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ensureStream, silentLogger } from '../../libs/kinesis/src/index.js';
import { decodeReply, encodeEnvelope, ServerKinesis } from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { Gates, HookedStore } from '../support/held-work.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { readStream } from '../support/stream-reader.js';
import { startMicroservice, type RunningService } from './fixtures.js';

const gates = new Gates();
const gate = (tag: string) => gates.gate(tag);
const calls: string[] = [];

@Controller()
class HeldController {
  @MessagePattern('held')
  async held(@Payload() tag: string): Promise<string> {
    calls.push(tag);
    await gate(tag).opened;
    return `done ${tag}`;
  }
}

@Module({ controllers: [HeldController] })
class HeldModule {}

describe('ServerKinesis.close(): replies past the final checkpoint (kinesalite)', () => {
  let admin: KinesisClient;
  const services: RunningService[] = [];
  beforeAll(() => (admin = kinesisClient('kinesalite')));
  afterAll(async () => {
    gates.openAll();
    await Promise.all(services.map((s) => s.close()));
    admin.destroy();
  });

  it('refuses a reply finishing right after its shard checkpointed, and answers it once after restart', async () => {
    const actStream = uniqueName('act-final');
    const resStream = uniqueName('res-final');
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    const [early, late] = [uniqueName('early'), uniqueName('late')];
    const request = (id: string) => ({
      data: encodeEnvelope({
        v: 1,
        id,
        pattern: 'held',
        data: id,
        replyTo: { stream: resStream, hashKey: '0' },
      }),
      key: id,
    });
    const replyIds = async () =>
      (await readStream(admin, resStream)).flatMap((s) => s.records.map((r) => decodeReply(r.data).id));
    const store = new HookedStore();
    const serve = async () => {
      const server = new ServerKinesis({
        endpoint: kinesisEndpoint('kinesalite'),
        region: 'us-east-1',
        actStream,
        resStream,
        checkpointStore: store,
        pollIntervalMs: 20,
        concurrency: 2,
        closeGracePeriodMs: 4_000,
        logger: silentLogger,
      });
      const service = await startMicroservice(HeldModule, server);
      services.push(service);
      return service;
    };
    await putRaw(admin, actStream, [request(early), request(late)]);
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

    expect(a.server.stats.lateReplies).toBe(1);
    expect(await replyIds()).toEqual([early]);
    const shardId = (await readStream(admin, actStream))[0].shardId;
    expect(await store.get(actStream, shardId)).toBeDefined(); // `early` checkpointed: the hook ran

    const b = await serve(); // `late` is read again (its gate is open now) and answered once
    await eventually(async () => (await replyIds()).length === 2, { message: 'the late request answered' });
    expect(await replyIds()).toEqual([early, late]);
    expect(calls).toEqual([early, late, late]);
    expect(b.server.stats.lateReplies).toBe(0);
  }, 60_000);
});
