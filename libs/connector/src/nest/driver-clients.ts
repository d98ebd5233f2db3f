/**
 * The default parts' clients of optional drivers: the S3 client (emitter / dead letters 's3') and the Postgres
 * pool (emitter 'postgres'), loaded and made at first use, one per module (ConnectorResources.shared), closed
 * with the module. Not exported from the entry: its types name the drivers, which a user without them lacks.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@nestjs/common';
import type * as Pg from 'pg';
import { loadPeer } from '../../../kinesis/src/peer.js';
import { loadS3 } from '../drivers.js';
import { redactCredentials } from '../redact.js';
import type { ConnectorResources } from './resources.js';

const logger = new Logger('ConnectorResources');

/** A local endpoint (s3rver, MinIO) needs path-style URLs, HTTP/1.1 and no streamed-upload checksums. */
export function s3ClientOf(resources: ConnectorResources): Promise<S3Client> {
  return resources.shared('s3 client', async () => {
    const { S3Client } = await loadS3("the connector's S3 parts");
    const { s3Endpoint: endpoint, region } = resources.config;
    const client = new S3Client({
      region,
      requestHandler: resources.httpHandler(),
      ...(endpoint
        ? {
            endpoint,
            forcePathStyle: true,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          }
        : {}),
    });
    resources.own('s3 client', () => client.destroy());
    return client;
  });
}

/** Creates the bucket when missing (once per bucket, shared by the emitter and the dead-letter sink). */
export function ensureBucket(resources: ConnectorResources, bucket: string): Promise<void> {
  return resources.shared(`bucket ${bucket}`, async () => {
    const s3 = await s3ClientOf(resources);
    const { CreateBucketCommand, HeadBucketCommand } = await loadS3("the connector's S3 parts");
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch {
      await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
        // Created meanwhile by another instance: fine.
        if (!/BucketAlready(OwnedByYou|Exists)/.test(error.name)) throw error;
      });
      logger.log(`created bucket ${bucket}`);
    }
  });
}

/** The Postgres emitter's pool: statement timeouts from pgStatementTimeoutMs. */
export function pgPoolOf(resources: ConnectorResources): Promise<Pg.Pool> {
  return resources.shared('postgres pool', async () => {
    const pg = await loadPeer<{ default: typeof Pg }>('pg', "the connector's Postgres emitter");
    const timeout = resources.config.pgStatementTimeoutMs;
    const pool = new pg.default.Pool({
      connectionString: resources.config.databaseUrl,
      max: 4,
      // The server cancels a statement after the timeout (SQLSTATE 57014); the client gives up a little later
      // in case the server itself does not answer. A connection attempt gives up after 10 s.
      statement_timeout: timeout,
      query_timeout: timeout + 1_000,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client's error (server restart) would otherwise crash the process; the next query fails instead.
    pool.on('error', (error) => logger.warn(`postgres pool: ${redactCredentials(error.message)}`));
    resources.own('postgres pool', () => pool.end());
    return pool;
  });
}
