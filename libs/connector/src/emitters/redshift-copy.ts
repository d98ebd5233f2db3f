/**
 * The text of Redshift's `COPY ... FROM 's3://...'`. Identifiers go through quoteIdentifier; the S3 URL and
 * the authorization are SQL string literals, escaped here.
 */
import { KinesisError } from '../../../kinesis/src/index.js';
import { quoteIdentifier } from '../identifiers.js';

/** A value that cannot be put safely in a SQL string literal (see sqlStringLiteral). */
export class UnsafeSqlLiteralError extends KinesisError {
  /** The value is not in the message: it may be a credentials string. */
  constructor(readonly what: string) {
    super(`${what} cannot go in a SQL string literal: it holds a backslash or a control character`);
  }
}

/**
 * `'value'` with single quotes doubled, which both Redshift and PostgreSQL read back as one quote.
 * Backslashes and control characters are refused instead: Redshift treats a backslash in a literal as an
 * escape and PostgreSQL (standard_conforming_strings) does not, so no single escaping is right for both.
 */
export function sqlStringLiteral(value: string, what = 'value'): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (typeof value !== 'string' || /[\\\u0000-\u001f\u007f]/.test(value)) {
    throw new UnsafeSqlLiteralError(what);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** How Redshift reads S3: an IAM role ARN (`IAM_ROLE '...'`) or a credentials string (`CREDENTIALS '...'`). */
export type CopyAuthorization = { iamRole: string } | { credentials: string };

export interface CopyStatementInput {
  /** Target table, `name` or `schema.name`. */
  table: string;
  /** `s3://bucket/key` of the data file, or of the manifest when `manifest` is set. */
  from: string;
  authorization: CopyAuthorization;
  /** Adds `MANIFEST`: `from` is a manifest listing the files. */
  manifest?: boolean;
  /** Raw COPY options appended as given, e.g. `JSON 'auto' GZIP`: trusted configuration, not data. */
  copyOptions?: string;
}

/** `COPY "table" FROM 's3://...' IAM_ROLE '...' [MANIFEST] [options]`, single spaces, no trailing `;`. */
export function buildCopyStatement(input: CopyStatementInput): string {
  const parts = [
    'COPY',
    quoteIdentifier(input.table),
    'FROM',
    sqlStringLiteral(input.from, 'S3 URL'),
    authorizationClause(input.authorization),
  ];
  if (input.manifest) parts.push('MANIFEST');
  const options = input.copyOptions?.trim();
  if (options) parts.push(options);
  return parts.join(' ');
}

function authorizationClause(authorization: CopyAuthorization): string {
  if (authorization && 'iamRole' in authorization && typeof authorization.iamRole === 'string') {
    return `IAM_ROLE ${sqlStringLiteral(authorization.iamRole, 'IAM role')}`;
  }
  if (authorization && 'credentials' in authorization && typeof authorization.credentials === 'string') {
    return `CREDENTIALS ${sqlStringLiteral(authorization.credentials, 'credentials')}`;
  }
  throw new TypeError('COPY needs an authorization: { iamRole } or { credentials }');
}

/** Options of the Redshift emitters: exactly one of `iamRole` and `credentials`. */
export function resolveAuthorization(options: { iamRole?: string; credentials?: string }): CopyAuthorization {
  const { iamRole, credentials } = options;
  if ((iamRole === undefined) === (credentials === undefined)) {
    throw new TypeError('give exactly one of iamRole and credentials for COPY');
  }
  const authorization = iamRole !== undefined ? { iamRole } : { credentials: credentials! };
  authorizationClause(authorization); // refuses a value that cannot be quoted, at construction
  return authorization;
}
