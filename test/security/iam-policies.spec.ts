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
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { act, SenecaPool } from '../../libs/seneca/test/seneca-fixtures.js';
import { dynamoClient, eventually, kinesisClient, uniqueName } from '../support/harness.js';
import {
  CREATE_STREAMS_OPTIONAL,
  checkPolicy,
  expectPolicyFits,
  KMS_OPTIONAL,
  loadPolicy,
  recordCalls,
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
    expectPolicyFits(name, values, serverCalls, { ...CREATE_STREAMS_OPTIONAL, ...KMS_OPTIONAL });
  });

  it('the client uses exactly its documented policy', () => {
    const name = fanOut ? 'transport-client-fan-out' : 'transport-client';
    expectPolicyFits(name, values, clientCalls, { ...CREATE_STREAMS_OPTIONAL, ...KMS_OPTIONAL });
  });
});

describe('createStreams with a KMS key (kinesis-local)', () => {
  it('creates and encrypts both streams, within the documented policies; a second side encrypts nothing again', async () => {
    const values = { ActStream: uniqueName('iam-act'), ResStream: uniqueName('iam-res') };
    const createStreams = { act: 1, res: 1, kmsKeyId: 'alias/aws/kinesis' };
    const calls = { server: [] as RecordedCall[], client: [] as RecordedCall[] };
    const base = { actStream: values.ActStream, resStream: values.ResStream, createStreams };
    const service = await startService({
      ...base,
      awsClient: recordedKinesis('kinesis-local', calls.server),
    });
    const caller = await startClient({ ...base, awsClient: recordedKinesis('kinesis-local', calls.client) });
    expect(await firstValueFrom(caller.client.send('sum', [2, 3]))).toBe(5);
    await caller.app.close();
    await service.close();

    const admin = kinesisClient('kinesis-local');
    for (const stream of [values.ActStream, values.ResStream]) {
      const { StreamDescriptionSummary: summary } = await admin.send(
        new DescribeStreamSummaryCommand({ StreamName: stream }),
      );
      expect(summary).toMatchObject({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    }
    admin.destroy();
    const server = expectPolicyFits('transport-server', values, calls.server, KMS_OPTIONAL);
    expect(server).toEqual(expect.arrayContaining(['kinesis:CreateStream', 'kinesis:StartStreamEncryption']));
    const client = expectPolicyFits('transport-client', values, calls.client, {
      ...CREATE_STREAMS_OPTIONAL,
      ...KMS_OPTIONAL,
    });
    expect(client).not.toContain('kinesis:StartStreamEncryption');
  });
});

describe('lease table (kinesalite + dynalite)', () => {
  it('a server with leases takes, renews, checkpoints and releases within the lease-table policy', async () => {
    const admin = kinesisClient('kinesalite');
    const appName = uniqueName('iam-app');
    const values = { ActStream: uniqueName('iam-act'), ResStream: uniqueName('iam-res') };
    const leaseTable = `${appName}-${values.ActStream}`;
    await ensureStream(admin, values.ActStream, { shardCount: 1 });
    await ensureStream(admin, values.ResStream, { shardCount: 1 });
    const calls: RecordedCall[] = [];
    const dynamo = dynamoClient();
    recordCalls(dynamo, 'dynamodb', calls);
    const renewals = () => calls.filter((c) => c.action === 'dynamodb:UpdateItem').length;
    const service = await startService({
      actStream: values.ActStream,
      resStream: values.ResStream,
      appName,
      awsClient: recordedKinesis('kinesalite', []),
      leases: {
        dynamoClient: dynamo,
        appName,
        workerId: 'iam-worker',
        failoverTimeMs: 600,
        takeIntervalMs: 100,
      },
    });
    try {
      const caller = await startClient({
        actStream: values.ActStream,
        resStream: values.ResStream,
        awsClient: admin,
      });
      expect(await firstValueFrom(caller.client.send('sum', [4, 5]))).toBe(9);
      await caller.app.close();
      const seen = renewals();
      await eventually(() => renewals() > seen + 2, { message: 'renewals' });
    } finally {
      await service.close();
      dynamo.destroy();
      admin.destroy();
    }
    expectPolicyFits('lease-table', { LeaseTable: leaseTable }, calls, {
      'dynamodb:CreateTable': 'createTable (default true), when the table is missing',
    });
  });
});

describe('Seneca plugin (kinesalite)', () => {
  it('a listener and a client use exactly their documented policies', async () => {
    const admin = kinesisClient('kinesalite');
    const values = { ActStream: uniqueName('iam-act'), ResStream: uniqueName('iam-res') };
    await ensureStream(admin, values.ActStream, { shardCount: 1 });
    await ensureStream(admin, values.ResStream, { shardCount: 1 });
    const calls = { listener: [] as RecordedCall[], client: [] as RecordedCall[] };
    const pool = new SenecaPool({
      actStream: values.ActStream,
      resStream: values.ResStream,
      createStreams: false,
      pollIntervalMs: 50,
    });
    try {
      await pool.listener(
        (seneca) =>
          seneca.add('role:math,cmd:sum', (msg: any, reply: any) =>
            reply(null, { answer: msg.left + msg.right }),
          ),
        {},
        { awsClient: recordedKinesis('kinesalite', calls.listener) },
      );
      const client = await pool.client({}, { awsClient: recordedKinesis('kinesalite', calls.client) });
      expect(await act(client, { role: 'math', cmd: 'sum', left: 1, right: 2 })).toMatchObject({ answer: 3 });
    } finally {
      await pool.closeAll();
      admin.destroy();
    }
    const optional = { ...CREATE_STREAMS_OPTIONAL, ...KMS_OPTIONAL };
    expectPolicyFits('seneca-listener', values, calls.listener, optional);
    expectPolicyFits('seneca-client', values, calls.client, optional);
  });
});

describe('the policy check itself', () => {
  const values = { ActStream: 'act', ResStream: 'res' };
  const policy = loadPolicy('transport-client', values);
  const arn = (stream: string) => `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`;
  const run: RecordedCall[] = [
    { action: 'kinesis:PutRecords', resources: [arn('act')], conditions: {} },
    { action: 'kinesis:ListShards', resources: [arn('res')], conditions: {} },
    { action: 'kinesis:GetShardIterator', resources: [arn('res')], conditions: {} },
    { action: 'kinesis:GetRecords', conditions: {} },
  ];
  const optional = { ...CREATE_STREAMS_OPTIONAL, ...KMS_OPTIONAL };

  it('passes the calls the client makes', () => {
    expect(checkPolicy(policy, run, optional)).toMatchObject({
      missing: [],
      unexplained: [],
      outOfScope: [],
    });
  });

  it('fails an action the policy lacks, a grant nobody used, and a call on another stream', () => {
    const check = checkPolicy(
      policy,
      [
        ...run.filter((c) => c.action !== 'kinesis:GetShardIterator'),
        { action: 'kinesis:DeleteStream', resources: [arn('res')], conditions: {} },
        { action: 'kinesis:PutRecords', resources: [arn('other-team')], conditions: {} },
      ],
      optional,
    );
    expect(check.missing).toEqual(['kinesis:DeleteStream']);
    expect(check.unexplained).toEqual([`kinesis:GetShardIterator on ${arn('res')}`]);
    expect(check.outOfScope).toEqual([`kinesis:PutRecords on ${arn('other-team')} {}`]);
  });
});
