/**
 * The connector's optional peers (drivers), loaded at first use through the core's loadPeer: `./connector` works
 * without them, and a part that needs a missing one fails with a MissingPeerDependencyError naming the package.
 * Only types are imported statically, and only by the files of the driver entries (`./connector/s3`, ...).
 */
import type * as S3 from '@aws-sdk/client-s3';
import type * as Pg from 'pg';
import { loadPeer } from '../../kinesis/src/peer.js';

/** @aws-sdk/client-s3, for its command classes (the S3Client is the caller's). */
export const loadS3 = (neededBy: string): Promise<typeof S3> => loadPeer('@aws-sdk/client-s3', neededBy);

export type PrepareValue = (value: unknown) => unknown;

/** node-postgres' own conversion of a parameter (what pool.query would do). */
export async function loadPrepareValue(neededBy: string): Promise<PrepareValue> {
  const pg = await loadPeer<{ default: typeof Pg }>('pg', neededBy);
  return (pg.default as unknown as { utils: { prepareValue: PrepareValue } }).utils.prepareValue;
}
