/**
 * The Redshift emitters (subpath `./connector/redshift`): they need the optional peers pg (and @types/pg for
 * types) and @aws-sdk/client-s3 (their files go through S3).
 */
export {
  RedshiftBasicEmitter,
  type RedshiftBasicEmitterOptions,
} from '../emitters/redshift-basic-emitter.js';
export {
  RedshiftManifestEmitter,
  type RedshiftManifestEmitterOptions,
} from '../emitters/redshift-manifest-emitter.js';
export { RedshiftLoadError, type PgSource, type RunCopy } from '../emitters/redshift-transaction.js';
export { UnsafeSqlLiteralError, type CopyAuthorization } from '../emitters/redshift-copy.js';
