/** S3 sinks (subpath `./connector/s3`): they need the optional peer @aws-sdk/client-s3. */
export {
  S3Emitter,
  S3WriteError,
  type S3EmitterOptions,
  type S3Object,
  type S3Write,
} from '../../../libs/connector/src/emitters/s3-emitter.js';
export {
  ManifestPutError,
  S3ManifestEmitter,
  type S3ManifestEmitterOptions,
} from '../../../libs/connector/src/emitters/s3-manifest-emitter.js';
export { S3DeadLetterSink } from '../../../libs/connector/src/dead-letter/s3-sink.js';
export {
  parseS3Url,
  s3ManifestKey,
  s3ObjectKey,
  s3Url,
} from '../../../libs/connector/src/emitters/s3-keys.js';
