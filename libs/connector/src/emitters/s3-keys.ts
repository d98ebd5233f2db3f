/**
 * S3 keys and URLs of the connector's emitters. Keys are a pure function of where a batch came from, so a
 * replayed batch (after a crash before its checkpoint) overwrites its object instead of adding a duplicate.
 */

/** `prefix` without leading/trailing slashes; an empty prefix puts the objects at the bucket's root. */
function joinKey(prefix: string, ...parts: string[]): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return (trimmed ? [trimmed, ...parts] : parts).join('/');
}

/** `<prefix>/<stream>/<shard>/<firstSeq>-<lastSeq><suffix>`: the object of one batch. */
export function s3ObjectKey(
  prefix: string,
  streamName: string,
  shardId: string,
  firstSequenceNumber: string,
  lastSequenceNumber: string,
  suffix = '',
): string {
  return joinKey(prefix, streamName, shardId, `${firstSequenceNumber}-${lastSequenceNumber}${suffix}`);
}

/** The Redshift manifest written for one batch of the manifest stream (same layout, `.manifest` suffix). */
export function s3ManifestKey(
  manifestPrefix: string,
  streamName: string,
  shardId: string,
  firstSequenceNumber: string,
  lastSequenceNumber: string,
): string {
  return s3ObjectKey(
    manifestPrefix,
    streamName,
    shardId,
    firstSequenceNumber,
    lastSequenceNumber,
    '.manifest',
  );
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** `s3://bucket/key` -> its parts; undefined for anything else (no bucket, no key, not a string). */
export function parseS3Url(url: unknown): { bucket: string; key: string } | undefined {
  if (typeof url !== 'string') return undefined;
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}
