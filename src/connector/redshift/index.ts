/**
 * The Redshift emitters (subpath `./connector/redshift`): they need the optional peers pg (and @types/pg for
 * types) and @aws-sdk/client-s3 (their files go through S3).
 */
export {
  RedshiftBasicEmitter,
  type RedshiftBasicEmitterOptions,
} from '../../../libs/connector/src/emitters/redshift-basic-emitter.js';
export {
  RedshiftManifestEmitter,
  type RedshiftManifestEmitterOptions,
} from '../../../libs/connector/src/emitters/redshift-manifest-emitter.js';
export {
  RedshiftLoadError,
  type PgSource,
  type RunCopy,
} from '../../../libs/connector/src/emitters/redshift-transaction.js';
export {
  UnsafeSqlLiteralError,
  type CopyAuthorization,
} from '../../../libs/connector/src/emitters/redshift-copy.js';
