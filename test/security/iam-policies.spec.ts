/**
 * Each documented IAM policy (docs/iam) against the calls its component makes in a representative run on the
 * local endpoints: every action called must be in the policy (else it is too small), every action in the policy
 * must have been called or be optional for a stated reason (else it is too wide), and every call whose input
 * names its resource must be allowed on that resource by the policy's statements (ARNs as the emulators make them).
 * What cannot be checked locally is listed in docs/iam/README.md.
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { ensureStream } from '../../libs/kinesis/src/index.js';
import { startClient, startService, received } from '../transport/fixtures.js';
import {
  eventually,
  kinesisClient,
  kinesisEndpoint,
  uniqueName,
  type KinesisEmulator,
} from '../support/harness.js';
import {
  CREATE_STREAMS_OPTIONAL,
  expectPolicyFits,
  KMS_OPTIONAL,
  recordedKinesis,
  type RecordedCall,
} from './iam-support.js';

describe.each([
  { emulator: 'kinesalite' as const, fanOut: false },
  { emulator: 'kinesis-local' as const, fanOut: true },
])('transport server and client on $emulator (fanOut: $fanOut)', ({ emulator, fanOut }) => {
  const ActStream = uniqueName('iam-act');
  const ResStream = uniqueName('iam-res');
  const values = {
    ActStream,
    ResStream,
    ServerConsumer: 'iam-server',
    ClientConsumer: 'iam-client',
    KmsKeyId: 'key-id',
  };
  const serverCalls: RecordedCall[] = [];
  const clientCalls: RecordedCall[] = [];
  const admin = kinesisClient(emulator);
  let service: { close(): Promise<void> } | undefined;
  let caller: { app: INestApplicationContext; client: ClientProxy } | undefined;

  beforeAll(async () => {
    await ensureStream(admin, ActStream, { shardCount: 2 });
    await ensureStream(admin, ResStream, { shardCount: 1 });
    const base = { actStream: ActStream, resStream: ResStream };
    service = await startService({
      ...base,
      awsClient: recordedKinesis(emulator, serverCalls),
      ...(fanOut ? { fanOut: { consumerName: values.ServerConsumer } } : {}),
    });
    caller = await startClient({
      ...base,
      awsClient: recordedKinesis(emulator, clientCalls),
      timeoutMs: 20_000,
      ...(fanOut ? { fanOut: { consumerName: values.ClientConsumer } } : {}),
    });
    // A representative run: a call answered, an event handled, then both sides stop.
    expect(await firstValueFrom(caller.client.send('sum', [1, 2]))).toBe(3);
    const marker = uniqueName('evt');
    await firstValueFrom(caller.client.emit('evt', marker));
    await eventually(() => received.events.includes(marker), { message: 'the event handled' });
    await caller.app.close();
    await service.close();
  });
  afterAll(() => admin.destroy());

  it('the server uses exactly its documented policy', () => {
    const name = fanOut ? 'transport-server-fan-out' : 'transport-server';
    const used = expectPolicyFits(name, values, serverCalls, { ...CREATE_STREAMS_OPTIONAL, ...KMS_OPTIONAL });
    console.log(name, used);
  });

  it('the client uses exactly its documented policy', () => {
    const name = fanOut ? 'transport-client-fan-out' : 'transport-client';
    const used = expectPolicyFits(name, values, clientCalls, { ...CREATE_STREAMS_OPTIONAL, ...KMS_OPTIONAL });
    console.log(name, used);
  });
});
