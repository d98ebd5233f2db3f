/**
 * The transport reads its streams' facts at start. kinesis-local reports MaxRecordSizeInKiB (and enforces it),
 * so large records run end to end on it. No local endpoint reports RecordDistributionStrategy (kinesis-local
 * accepts it at CreateStream and leaves it out of DescribeStreamSummary; kinesalite knows neither): for AUTO the
 * real summary is rewritten with the field added, the only made-up part.
 */
import { CreateStreamCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { INestApplicationContext } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { ensureStream, silentLogger, StreamDistributionError } from '../../libs/kinesis/src/index.js';
import { ClientKinesis, KinesisMessageBuilder, ServerKinesis } from '../../libs/transport/src/index.js';
import { ReplyWriter } from '../../libs/transport/src/shared/reply-writer.js';
import { injectFaults } from '../support/faults.js';
import { kinesisClient, kinesisEndpoint, uniqueName } from '../support/harness.js';
import { startClient, startService, type RunningService } from './fixtures.js';

const MiB = 1_048_576;
/** Over the classic 1 MiB, and small enough not to slow the kinesis-local every suite of the run shares. */
const LARGE = MiB + 256 * 1024;

/** Streams on kinesis-local; `auto` ones are reported with RecordDistributionStrategy AUTO to `client`. */
function reportAuto(client: KinesisClient, auto: string[]) {
  return injectFaults(client, {
    DescribeStreamSummary: async ({ input, send }) => {
      const output = await send();
      if (!auto.includes(input.StreamName)) return output;
      return {
        ...output,
        StreamDescriptionSummary: { ...output.StreamDescriptionSummary, RecordDistributionStrategy: 'AUTO' },
      };
    },
  });
}

async function createStream(admin: KinesisClient, name: string, extra: object = {}): Promise<void> {
  await admin.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1, ...extra }));
  await ensureStream(admin, name);
}

describe('stream facts in the transport (kinesis-local)', () => {
  let admin: KinesisClient;
  beforeAll(() => (admin = kinesisClient('kinesis-local')));
  afterAll(() => admin.destroy());

  describe('RecordDistributionStrategy AUTO', () => {
    const actStream = uniqueName('act');
    const autoAct = uniqueName('act-auto');
    const resStream = uniqueName('res');
    const autoRes = uniqueName('res-auto');
    let aws: KinesisClient;

    beforeAll(async () => {
      await Promise.all([
        createStream(admin, actStream),
        createStream(admin, resStream),
        createStream(admin, autoAct, { StreamModeDetails: { StreamMode: 'ON_DEMAND' } }),
        createStream(admin, autoRes, { StreamModeDetails: { StreamMode: 'ON_DEMAND' } }),
      ]);
    });
    beforeEach(() => {
      aws = kinesisClient('kinesis-local');
      reportAuto(aws, [autoAct, autoRes]);
    });
    afterEach(() => aws.destroy());

    const client = (options: object) =>
      new ClientKinesis({ awsClient: aws, logger: silentLogger, actStream, resStream, ...options });

    it('a client refuses an AUTO res stream at connect, saying why and what to do', async () => {
      const c = client({ resStream: autoRes });
      const error = await c.connect().catch((e) => e);
      expect(error).toBeInstanceOf(StreamDistributionError);
      expect(error.message).toContain(`stream "${autoRes}" uses RecordDistributionStrategy AUTO`);
      expect(error.message).toMatch(/replies .* calls would time out/);
      expect(error.message).toMatch(
        /Use a provisioned stream, or an on-demand stream with .*USER_PARTITION_KEY/,
      );
      await c.close();
    });

    it('a server refuses an AUTO res stream at listen', async () => {
      const server = new ServerKinesis({
        awsClient: aws,
        logger: silentLogger,
        actStream,
        resStream: autoRes,
      });
      const error = await new Promise((resolve) => void server.listen(resolve));
      expect(error).toBeInstanceOf(StreamDistributionError);
      expect((error as Error).message).toContain(`stream "${autoRes}"`);
      await server.close();
    });

    it('a client refuses partitionBy pattern or a function on an AUTO act stream, and spread messages with a key of their own', async () => {
      for (const partitionBy of ['pattern', () => 'k'] as const) {
        const c = client({ actStream: autoAct, partitionBy });
        const error = await c.connect().catch((e) => e);
        expect(error).toBeInstanceOf(StreamDistributionError);
        expect(error.message).toMatch(/orders requests per partition key.*Use partitionBy 'spread'/);
        await c.close();
      }
      const spread = client({ actStream: autoAct, timeoutMs: 1_000 });
      await spread.connect();
      // A message's own partition key or hash key asks for what AUTO ignores: refused before anything is sent.
      const keyed = new KinesisMessageBuilder({}).setPartitionKey('tenant-1').build();
      const sent = await firstValueFrom(spread.send('sum', keyed)).catch((e) => e);
      expect(sent).toBeInstanceOf(StreamDistributionError);
      expect(sent.message).toMatch(/the message's partitionKey .*Send it without them/);
      const hashed = new KinesisMessageBuilder({}).setExplicitHashKey(1n).build();
      await expect(firstValueFrom(spread.emit('evt', hashed))).rejects.toBeInstanceOf(
        StreamDistributionError,
      );
      await spread.close();
    });

    it('the reply writer refuses an AUTO reply stream (replyStreams) at its first reply', async () => {
      const writer = new ReplyWriter({
        client: aws,
        logger: silentLogger,
        allowed: new Set([resStream, autoRes]),
        lingerMs: 0,
        aggregation: false,
      });
      const record = { data: Buffer.from('{}'), partitionKey: 'k', explicitHashKey: '1' };
      await expect(writer.put(autoRes, record, { key: 'a' })).rejects.toBeInstanceOf(StreamDistributionError);
      await writer.put(resStream, record, { key: 'b' });
      await writer.close();
    });

    it('classic streams (no field reported) connect and listen', async () => {
      const c = client({});
      await c.connect();
      await c.close();
      const server = new ServerKinesis({ awsClient: aws, logger: silentLogger, actStream, resStream });
      expect(await new Promise((resolve) => void server.listen(resolve))).toBeUndefined();
      await server.close();
    });
  });

  describe('MaxRecordSizeInKiB 10240 on both streams', () => {
    const actStream = uniqueName('act-large');
    const resStream = uniqueName('res-large');
    const apps: INestApplicationContext[] = [];
    let service: RunningService;
    const base = () => ({
      endpoint: kinesisEndpoint('kinesis-local'),
      region: 'us-east-1',
      actStream,
      resStream,
    });

    beforeAll(async () => {
      await Promise.all([
        createStream(admin, actStream, { MaxRecordSizeInKiB: 10240 }),
        createStream(admin, resStream, { MaxRecordSizeInKiB: 10240 }),
      ]);
      service = await startService(base());
    });
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await service?.close();
    });

    it("the server's reply writer takes a reply over 1 MiB", async () => {
      const { app, client } = await startClient({ ...base(), timeoutMs: 30_000 });
      apps.push(app);
      expect(await firstValueFrom(client.send('big', { bytes: LARGE }))).toHaveLength(LARGE);
    });

    it("the client's producer takes an event over 1 MiB", async () => {
      const { app, client } = await startClient(base());
      apps.push(app);
      await expect(firstValueFrom(client.emit('evt', { pad: 'p'.repeat(LARGE) }))).resolves.toBeUndefined();
    });
  });
});
