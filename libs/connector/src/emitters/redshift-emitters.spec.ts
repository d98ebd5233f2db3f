import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import pg from 'pg';
import { bufferedItem, emitBatch } from '../../../../test/support/emit-batches.js';
import { databaseUrl, s3Client, uniqueName } from '../../../../test/support/harness.js';
import { InvalidIdentifierError } from '../errors.js';
import type { EmitBatch } from '../interfaces.js';
import { RedshiftBasicEmitter } from './redshift-basic-emitter.js';
import { UnsafeSqlLiteralError } from './redshift-copy.js';
import { RedshiftManifestEmitter, type RedshiftManifestEmitterOptions } from './redshift-manifest-emitter.js';
import { RedshiftLoadError, type RunCopy } from './redshift-transaction.js';
import { S3Emitter, S3WriteError } from './s3-emitter.js';

const SEQ_BASE = 49590338271490256608559692538361571095921575989136588898n;
const SHARD = 'shardId-000000000000';
const ROLE = 'arn:aws:iam::123456789012:role/Loader';
const seq = (i: number) => String(SEQ_BASE + BigInt(i));

/** A batch of `models` with consecutive sequence numbers from `start`, as the pipeline hands it over. */
function batchOf<T>(models: T[], start: number, streamName = 'orders'): EmitBatch<T> {
  const toBytes = (m: T) => Buffer.from(typeof m === 'string' ? m : JSON.stringify(m));
  const items = models.map((model, i) =>
    bufferedItem(model, { sequenceNumber: seq(start + i), partitionKey: `pk-${i}` }, toBytes),
  );
  return emitBatch(items, { streamName, shardId: SHARD, toBytes });
}

let s3: S3Client;
let pool: pg.Pool;
let bucket: string;
let dataTable: string;
let fileTable: string;

beforeAll(() => {
  s3 = s3Client();
  pool = new pg.Pool({ connectionString: databaseUrl() });
});
afterAll(async () => {
  s3.destroy();
  await pool.end();
});
beforeEach(async () => {
  bucket = uniqueName('rs');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  dataTable = uniqueName('rs_data').replace(/-/g, '_');
  fileTable = uniqueName('rs_files').replace(/-/g, '_');
  await pool.query(`CREATE TABLE "${dataTable}" (doc jsonb)`);
  await pool.query(`CREATE TABLE "${fileTable}" (file text)`); // no unique key: duplicates would show
});
afterEach(async () => {
  await pool.query(`DROP TABLE IF EXISTS "${dataTable}", "${fileTable}"`);
});

async function read(url: string): Promise<string> {
  const [, b, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(url)!;
  const out = await s3.send(new GetObjectCommand({ Bucket: b, Key: key }));
  return out.Body!.transformToString();
}

/**
 * Redshift's COPY, played on PostgreSQL inside the emitter's transaction: records the statement, lets
 * PostgreSQL itself unquote the FROM literal, and loads the JSON lines of the file (or of the manifest's
 * files). `fail`: throws after loading, so only a rollback can undo the rows.
 */
function fakeCopy(fail?: Error) {
  const statements: string[] = [];
  const runCopy: RunCopy = async (client, sql) => {
    statements.push(sql);
    const literal = /^COPY \S+ FROM ('(?:[^']|'')*')/.exec(sql)![1];
    const { rows } = await client.query(`SELECT ${literal} AS url`);
    const url: string = rows[0].url;
    const files = / MANIFEST\b/.test(sql)
      ? (JSON.parse(await read(url)).entries as { url: string }[]).map((e) => e.url)
      : [url];
    for (const file of files) {
      for (const line of (await read(file)).split('\n').filter(Boolean)) {
        await client.query(`INSERT INTO "${dataTable}" (doc) VALUES ($1)`, [line]);
      }
    }
    if (fail) throw fail;
  };
  return { statements, runCopy };
}

const fileRows = async (on: pg.Pool = pool) =>
  (await on.query(`SELECT file FROM "${fileTable}" ORDER BY file`)).rows.map((r) => r.file as string);
const dataRows = async (on: pg.Pool = pool) =>
  (await on.query(`SELECT doc FROM "${dataTable}" ORDER BY doc->>'n'`)).rows.map((r) => r.doc);

/** Data files as S3ManifestEmitter writes them; returns their s3:// paths. */
async function dataFiles(count: number): Promise<string[]> {
  const writer = new S3Emitter<object>({ client: s3, bucket, prefix: 'data' });
  const urls: string[] = [];
  for (let i = 0; i < count; i++) urls.push((await writer.write(batchOf([{ n: i }], i * 10))).url);
  return urls;
}

describe('RedshiftManifestEmitter', () => {
  const emitterWith = (runCopy: RunCopy, more: Partial<RedshiftManifestEmitterOptions> = {}) =>
    new RedshiftManifestEmitter({
      s3Client: s3,
      bucket,
      manifestPrefix: 'manifests',
      pg: pool,
      dataTable,
      fileTable,
      copyOptions: "JSON 'auto'",
      iamRole: ROLE,
      runCopy,
      ...more,
    });
  const manifestUrl = (first: number, last: number, prefix = 'manifests') =>
    `s3://${bucket}/${prefix}/manifests/${SHARD}/${seq(first)}-${seq(last)}.manifest`;

  it('records the new files and COPYs their manifest once, with the exact statement', async () => {
    const files = await dataFiles(2);
    const { statements, runCopy } = fakeCopy();
    await expect(emitterWith(runCopy).emit(batchOf(files, 100, 'manifests'))).resolves.toEqual([]);
    expect(statements).toEqual([
      `COPY "${dataTable}" FROM '${manifestUrl(100, 101)}' IAM_ROLE '${ROLE}' MANIFEST JSON 'auto'`,
    ]);
    expect(JSON.parse(await read(manifestUrl(100, 101)))).toEqual({
      entries: files.map((url) => ({ url, mandatory: true })),
    });
    expect(await fileRows()).toEqual([...files].sort());
    expect(await dataRows()).toEqual([{ n: 0 }, { n: 1 }]);
  });

  it('skips files already loaded: the manifest lists only the new ones, the file table has no duplicates', async () => {
    const [a, b, c] = await dataFiles(3);
    const { statements, runCopy } = fakeCopy();
    const emitter = emitterWith(runCopy);
    await emitter.emit(batchOf([a, b], 100, 'manifests'));
    await emitter.emit(batchOf([b, c, c], 102, 'manifests')); // b loaded before; c twice in one batch
    expect(statements).toHaveLength(2);
    expect(statements[1]).toContain(`FROM '${manifestUrl(102, 104)}'`);
    expect(JSON.parse(await read(manifestUrl(102, 104)))).toEqual({ entries: [{ url: c, mandatory: true }] });
    expect(await fileRows()).toEqual([a, b, c].sort());
    expect(await dataRows()).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  });

  it('commits without COPY (and writes no manifest) when every file was loaded before', async () => {
    const files = await dataFiles(2);
    const { statements, runCopy } = fakeCopy();
    const emitter = emitterWith(runCopy);
    await emitter.emit(batchOf(files, 100, 'manifests'));
    await expect(emitter.emit(batchOf(files, 200, 'manifests'))).resolves.toEqual([]);
    expect(statements).toHaveLength(1);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'manifests/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([
      manifestUrl(100, 101).replace(`s3://${bucket}/`, ''),
    ]);
    expect(await fileRows()).toEqual([...files].sort());
  });

  it('rolls back and throws when COPY fails (file table and data unchanged); the retry then loads', async () => {
    const files = await dataFiles(2);
    // One connection: the queries below run in the emitter's session, so a transaction left open would show.
    const single = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
    try {
      const failing = fakeCopy(new Error('S3ServiceException: access denied'));
      const batch = batchOf(files, 100, 'manifests');
      const emitter = emitterWith(failing.runCopy, { pg: single });
      await expect(emitter.emit(batch)).rejects.toThrow(RedshiftLoadError);
      expect(failing.statements).toHaveLength(1); // it did run, and loaded rows, before failing
      expect(await fileRows(single)).toEqual([]);
      expect(await dataRows(single)).toEqual([]);

      const working = fakeCopy();
      await expect(emitterWith(working.runCopy, { pg: single }).emit(batch)).resolves.toEqual([]);
      expect(working.statements).toHaveLength(1);
      expect(await fileRows()).toEqual([...files].sort());
      expect(await dataRows()).toEqual([{ n: 0 }, { n: 1 }]);
    } finally {
      await single.end();
    }
  });

  it('refuses invalid table and column names with InvalidIdentifierError, before any SQL', () => {
    let connects = 0;
    const spy = { connect: async () => void connects++ } as unknown as pg.Pool;
    const { runCopy } = fakeCopy();
    for (const bad of [
      { dataTable: 'data; DROP TABLE x' },
      { fileTable: 'files"--' },
      { fileColumn: 'file name' },
    ]) {
      expect(() => emitterWith(runCopy, { pg: spy, ...bad })).toThrow(InvalidIdentifierError);
    }
    expect(connects).toBe(0);
  });

  it('escapes a quote in the manifest URL (PostgreSQL reads it back) and refuses a backslash', async () => {
    const files = await dataFiles(1);
    const { statements, runCopy } = fakeCopy();
    await emitterWith(runCopy, { manifestPrefix: "it's" }).emit(batchOf(files, 100, 'manifests'));
    const url = manifestUrl(100, 100, "it's");
    expect(statements).toEqual([
      `COPY "${dataTable}" FROM '${url.replace("'", "''")}' IAM_ROLE '${ROLE}' MANIFEST JSON 'auto'`,
    ]);
    expect(await dataRows()).toEqual([{ n: 0 }]); // fakeCopy found the manifest at the unquoted URL

    const refused = emitterWith(runCopy, { manifestPrefix: 'back\\slash' });
    await expect(refused.emit(batchOf(files, 300, 'manifests'))).rejects.toThrow(UnsafeSqlLiteralError);
    expect(statements).toHaveLength(1);
    expect(await fileRows()).toEqual(files);
  });

  it('returns models that are not s3:// paths as failed and loads the others', async () => {
    const [file] = await dataFiles(1);
    const { runCopy } = fakeCopy();
    const batch = batchOf([file, 'not-a-path', 's3://bucket-only'], 100, 'manifests');
    const failed = await emitterWith(runCopy).emit(batch);
    expect(failed.map((f) => f.item.model)).toEqual(['not-a-path', 's3://bucket-only']);
    expect(await fileRows()).toEqual([file]);
  });
});

describe('RedshiftBasicEmitter', () => {
  // A client factory rather than the pool: the emitter connects and ends a client per batch.
  const emitterWith = (runCopy: RunCopy, bucketName = bucket) =>
    new RedshiftBasicEmitter<object>({
      s3: { client: s3, bucket: bucketName, prefix: 'basic' },
      pg: () => new pg.Client({ connectionString: databaseUrl() }),
      dataTable,
      copyOptions: "JSON 'auto'",
      credentials: 'aws_access_key_id=AK;aws_secret_access_key=SK',
      runCopy,
    });

  it('writes the batch to S3 and COPYs that object, with the exact statement', async () => {
    const { statements, runCopy } = fakeCopy();
    await expect(emitterWith(runCopy).emit(batchOf([{ n: 1 }, { n: 2 }], 5))).resolves.toEqual([]);
    const url = `s3://${bucket}/basic/orders/${SHARD}/${seq(5)}-${seq(6)}`;
    expect(await read(url)).toBe('{"n":1}\n{"n":2}\n');
    expect(statements).toEqual([
      `COPY "${dataTable}" FROM '${url}' CREDENTIALS 'aws_access_key_id=AK;aws_secret_access_key=SK' JSON 'auto'`,
    ]);
    expect(await dataRows()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('rolls back and throws when COPY fails', async () => {
    const { statements, runCopy } = fakeCopy(new Error('Load into table failed'));
    await expect(emitterWith(runCopy).emit(batchOf([{ n: 1 }], 5))).rejects.toThrow(RedshiftLoadError);
    expect(statements).toHaveLength(1);
    expect(await dataRows()).toEqual([]);
  });

  it('throws when the object cannot be written, and runs no COPY', async () => {
    const { statements, runCopy } = fakeCopy();
    const emitter = emitterWith(runCopy, uniqueName('missing'));
    await expect(emitter.emit(batchOf([{ n: 1 }], 5))).rejects.toThrow(S3WriteError);
    expect(statements).toEqual([]);
  });
});
