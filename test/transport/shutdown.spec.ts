/**
 * Bounded shutdown of ServerKinesis: close() returns after the grace period whatever handlers do; a handler that
 * finishes after that is not answered (counted, logged), and its record is handled again after a restart.
 */
import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { NEVER, type Observable } from 'rxjs';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  ensureStream,
  MemoryCheckpointStore,
  silentLogger,
  type Logger,
} from '../../libs/kinesis/src/index.js';
import { decodeReply, encodeEnvelope, ServerKinesis } from '../../libs/transport/src/index.js';
import { eventually, kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { putRaw } from '../support/kinesis-helpers.js';
import { readStream } from '../support/stream-reader.js';
import { startMicroservice, type RunningService } from './fixtures.js';

/** Handlers the test controls: `gated` waits for the gate, `ignores` never completes. */
const gate = { calls: [] as string[], open: () => undefined as void, opened: Promise.resolve() };
function closeGate(): void {
  gate.opened = new Promise<void>((resolve) => (gate.open = resolve));
}

@Controller()
class GatedController {
  @MessagePattern('gated')
  async gated(@Payload() tag: string): Promise<string> {
    gate.calls.push(tag);
    await gate.opened;
    return `done ${tag}`;
  }

  @MessagePattern('ignores')
  ignores(@Payload() tag: string): Observable<never> {
    gate.calls.push(tag);
    return NEVER;
  }
}

@Module({ controllers: [GatedController] })
class GatedModule {}

describe('ServerKinesis.close() with handlers that do not finish (kinesalite)', () => {
  let admin: KinesisClient;
  const services: RunningService[] = [];
  beforeAll(() => (admin = kinesisClient('kinesalite')));
  afterAll(async () => {
    gate.open();
    await Promise.all(services.map((s) => s.close()));
    admin.destroy();
  });

  async function streams() {
    const actStream = uniqueName('act-close');
    const resStream = uniqueName('res-close');
    await ensureStream(admin, actStream, { shardCount: 1 });
    await ensureStream(admin, resStream, { shardCount: 1 });
    return { actStream, resStream };
  }

  function request(id: string, pattern: string, resStream: string) {
    const data = encodeEnvelope({
      v: 1,
      id,
      pattern,
      data: id,
      replyTo: { stream: resStream, hashKey: '0' },
    });
    return { data, key: id };
  }

  async function serve(o: {
    actStream: string;
    resStream: string;
    store: MemoryCheckpointStore;
    logger: Logger;
  }) {
    const server = new ServerKinesis({
      endpoint: kinesisEndpoint('kinesalite'),
      region: 'us-east-1',
      actStream: o.actStream,
      resStream: o.resStream,
      checkpointStore: o.store,
      pollIntervalMs: 20,
      concurrency: 1,
      closeGracePeriodMs: 300,
      logger: o.logger,
    });
    const service = await startMicroservice(GatedModule, server);
    services.push(service);
    return service;
  }

  const replyIds = async (resStream: string) =>
    (await readStream(admin, resStream)).flatMap((s) => s.records.map((r) => decodeReply(r.data).id));

  it('returns after the grace period; a late reply is counted, not written, and handled again after restart', async () => {
    const { actStream, resStream } = await streams();
    const store = new MemoryCheckpointStore();
    const warnings: Array<{ message: string; context?: Record<string, unknown> }> = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (message, context) => warnings.push({ message, context }),
    };
    closeGate();
    const [first, second] = [uniqueName('first'), uniqueName('second')];
    // One batch: `second` waits for the only slot, which `first` holds until the gate opens.
    await putRaw(admin, actStream, [request(first, 'gated', resStream), request(second, 'gated', resStream)]);
    const a = await serve({ actStream, resStream, store, logger });
    await eventually(() => gate.calls.includes(first), { message: 'the first handler running' });

    await a.close();

    expect(a.server.stats.lateReplies).toBe(0);
    gate.open(); // `first` finishes now, after close() gave up on it
    await eventually(() => a.server.stats.lateReplies === 1, { message: 'the late reply counted' });
    expect(warnings.filter((w) => w.context?.id === first)).toHaveLength(1);
    expect(await replyIds(resStream)).toEqual([]); // nothing was written after close
    expect(gate.calls).toEqual([first]); // `second` was never started

    const b = await serve({ actStream, resStream, store, logger });
    await eventually(async () => (await replyIds(resStream)).length === 2, { message: 'both replies' });
    expect(gate.calls).toEqual([first, first, second]); // `first` re-read and handled again
    expect((await replyIds(resStream)).sort()).toEqual([first, second].sort());
    expect(b.server.stats.lateReplies).toBe(0);
  }, 60_000);

  it('returns with a handler whose Observable never completes; nothing is checkpointed past it', async () => {
    const { actStream, resStream } = await streams();
    const store = new MemoryCheckpointStore();
    const ignored = uniqueName('ignored');
    const after = uniqueName('after');
    await putRaw(admin, actStream, [
      request(ignored, 'ignores', resStream),
      request(after, 'ignores', resStream),
    ]);
    const a = await serve({ actStream, resStream, store, logger: silentLogger });
    await eventually(() => gate.calls.includes(ignored), { message: 'the handler running' });

    await a.close();

    // Nothing completed, so nothing was checkpointed: the shard starts over at its first record.
    const shardId = (await readStream(admin, actStream))[0].shardId;
    expect(await store.get(actStream, shardId)).toBeUndefined();
    expect(gate.calls.filter((c) => c === after)).toEqual([]);
  }, 60_000);
});
