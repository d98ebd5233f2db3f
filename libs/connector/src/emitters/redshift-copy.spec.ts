import pg from 'pg';
import { databaseUrl } from '../../../../test/support/harness.js';
import { InvalidIdentifierError } from '../errors.js';
import {
  buildCopyStatement,
  resolveAuthorization,
  sqlStringLiteral,
  UnsafeSqlLiteralError,
} from './redshift-copy.js';

describe('buildCopyStatement', () => {
  it('builds the manifest COPY with an IAM role and the options, exactly', () => {
    expect(
      buildCopyStatement({
        table: 'analytics.events',
        from: 's3://bucket/manifests/orders/shardId-000000000000/1-9.manifest',
        authorization: { iamRole: 'arn:aws:iam::123456789012:role/Loader' },
        manifest: true,
        copyOptions: "  JSON 'auto' GZIP ",
      }),
    ).toBe(
      'COPY "analytics"."events" FROM \'s3://bucket/manifests/orders/shardId-000000000000/1-9.manifest\' ' +
        "IAM_ROLE 'arn:aws:iam::123456789012:role/Loader' MANIFEST JSON 'auto' GZIP",
    );
  });

  it('builds the single-file COPY with a credentials string and no options, exactly', () => {
    expect(
      buildCopyStatement({
        table: 'events',
        from: 's3://bucket/raw/1-2',
        authorization: { credentials: 'aws_access_key_id=AK;aws_secret_access_key=SK' },
      }),
    ).toBe(
      `COPY "events" FROM 's3://bucket/raw/1-2' CREDENTIALS 'aws_access_key_id=AK;aws_secret_access_key=SK'`,
    );
  });

  it('doubles single quotes in the S3 URL and the credentials', () => {
    expect(
      buildCopyStatement({
        table: 'events',
        from: "s3://bucket/it's/1-2",
        authorization: { credentials: "token='x'" },
      }),
    ).toBe(`COPY "events" FROM 's3://bucket/it''s/1-2' CREDENTIALS 'token=''x'''`);
  });

  it('refuses backslashes and control characters instead of guessing the dialect', () => {
    const copy = (from: string) =>
      buildCopyStatement({ table: 'events', from, authorization: { iamRole: 'arn' } });
    expect(() => copy('s3://bucket/a\\')).toThrow(UnsafeSqlLiteralError);
    expect(() => copy('s3://bucket/a\nb')).toThrow(UnsafeSqlLiteralError);
    expect(() => resolveAuthorization({ credentials: 'secret\\' })).toThrow(UnsafeSqlLiteralError);
  });

  it('validates the table name', () => {
    for (const table of ['events; DROP TABLE x', 'a"b', '1events', 'a.b.c']) {
      expect(() =>
        buildCopyStatement({ table, from: 's3://b/k', authorization: { iamRole: 'arn' } }),
      ).toThrow(InvalidIdentifierError);
    }
  });

  it('wants exactly one of iamRole and credentials', () => {
    expect(() => resolveAuthorization({})).toThrow(TypeError);
    expect(() => resolveAuthorization({ iamRole: 'a', credentials: 'b' })).toThrow(TypeError);
    expect(resolveAuthorization({ iamRole: 'arn' })).toEqual({ iamRole: 'arn' });
  });
});

describe('sqlStringLiteral against PostgreSQL', () => {
  const pool = new pg.Pool({ connectionString: databaseUrl() });
  afterAll(() => pool.end());

  it('reads back as the original value, quotes included', async () => {
    for (const value of ["s3://bucket/it's", "''", "a'); DROP TABLE x; --", '']) {
      const { rows } = await pool.query(`SELECT ${sqlStringLiteral(value)} AS v`);
      expect(rows[0].v).toBe(value);
    }
  });
});
