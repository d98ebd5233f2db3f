/**
 * The AWS / database clients the default parts need, created on first use from the config, and everything the
 * app opened itself, released on shutdown. It closes after ConnectorService has stopped the connector
 * (onApplicationShutdown runs after beforeApplicationShutdown), so the final flush and checkpoint still work.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import pg from 'pg';
import { createKinesisClient, type Logger as CoreLogger } from '../../../libs/kinesis/src/index.js';
import { CONNECTOR_CONFIG, redactCredentials, type ConnectorConfig } from './config.js';

@Injectable()
export class ConnectorResources implements OnApplicationShutdown {
  private readonly logger = new Logger('ConnectorResources');
  private kinesisClient?: KinesisClient;
  private s3Client?: S3Client;
  private dynamoClient?: DynamoDBClient;
  private pgPool?: pg.Pool;
  private readonly closers: Array<{ what: string; close: () => Promise<void> | void }> = [];
  private readonly buckets = new Map<string, Promise<void>>();
  /** Set when shutdown starts (ConnectorService): closing the clients never runs past it. */
  private closeDeadline = Infinity;

  constructor(@Inject(CONNECTOR_CONFIG) private readonly config: ConnectorConfig) {}

  /** Credentials: the SDK default chain, never set or logged here. */
  get kinesis(): KinesisClient {
    if (!this.kinesisClient) {
      const client = createKinesisClient({
        endpoint: this.config.kinesisEndpoint,
        region: this.config.region,
        requestTimeoutMs: this.config.awsRequestTimeoutMs,
        connectionTimeoutMs: this.config.awsConnectTimeoutMs,
      });
      this.own('kinesis client', () => client.destroy());
      this.kinesisClient = client;
    }
    return this.kinesisClient;
  }

  /**
   * The S3 and DynamoDB clients' HTTP handler (the Kinesis client gets the same from createKinesisClient): a
   * request with no answer, or a response that stops arriving, fails after AWS_REQUEST_TIMEOUT_MS (the SDK's
   * default waits forever), a connection after AWS_CONNECT_TIMEOUT_MS; the SDK's retries still apply.
   */
  private httpHandler(): NodeHttpHandler {
    const timeout = this.config.awsRequestTimeoutMs;
    return new NodeHttpHandler({
      requestTimeout: timeout, // until the response headers
      socketTimeout: timeout, // no byte for that long, the body included
      throwOnRequestTimeout: true, // without it the handler only logs a warning and keeps waiting
      connectionTimeout: this.config.awsConnectTimeoutMs,
    });
  }

  /** A local endpoint (s3rver, MinIO) needs path-style URLs, HTTP/1.1 and no streamed-upload checksums. */
  get s3(): S3Client {
    if (!this.s3Client) {
      const endpoint = this.config.s3Endpoint;
      const client = new S3Client({
        region: this.config.region,
        requestHandler: this.httpHandler(),
        ...(endpoint
          ? {
              endpoint,
              forcePathStyle: true,
              requestChecksumCalculation: 'WHEN_REQUIRED',
              responseChecksumValidation: 'WHEN_REQUIRED',
            }
          : {}),
      });
      this.own('s3 client', () => client.destroy());
      this.s3Client = client;
    }
    return this.s3Client;
  }

  get dynamodb(): DynamoDBClient {
    if (!this.dynamoClient) {
      const endpoint = this.config.dynamodbEndpoint;
      const client = new DynamoDBClient({
        region: this.config.region,
        requestHandler: this.httpHandler(),
        ...(endpoint ? { endpoint } : {}),
      });
      this.own('dynamodb client', () => client.destroy());
      this.dynamoClient = client;
    }
    return this.dynamoClient;
  }

  get pg(): pg.Pool {
    if (!this.pgPool) {
      const timeout = this.config.pgStatementTimeoutMs;
      const pool = new pg.Pool({
        connectionString: this.config.databaseUrl,
        max: 4,
        // The server cancels a statement after the timeout (SQLSTATE 57014); the client gives up a little later
        // in case the server itself does not answer. A connection attempt gives up after 10 s.
        statement_timeout: timeout,
        query_timeout: timeout + 1_000,
        connectionTimeoutMillis: 10_000,
      });
      // An idle client's error (server restart) would otherwise crash the process; the next query fails instead.
      pool.on('error', (error) => this.logger.warn(`postgres pool: ${redactCredentials(error.message)}`));
      this.own('postgres pool', () => pool.end());
      this.pgPool = pool;
    }
    return this.pgPool;
  }

  /** Creates the bucket when missing (once per bucket, shared by the emitter and the dead-letter sink). */
  ensureBucket(bucket: string): Promise<void> {
    let ready = this.buckets.get(bucket);
    if (!ready) {
      ready = (async () => {
        try {
          await this.s3.send(new HeadBucketCommand({ Bucket: bucket }));
        } catch {
          await this.s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: Error) => {
            // Created meanwhile by another instance: fine.
            if (!/BucketAlready(OwnedByYou|Exists)/.test(error.name)) throw error;
          });
          this.logger.log(`created bucket ${bucket}`);
        }
      })();
      this.buckets.set(bucket, ready);
      ready.catch(() => this.buckets.delete(bucket));
    }
    return ready;
  }

  /** Something the app opened and must release at shutdown (closed in reverse order). */
  own(what: string, close: () => Promise<void> | void): void {
    this.closers.push({ what, close });
  }

  /** Closing the clients at shutdown stops waiting at `deadline` (epoch ms). */
  closeBy(deadline: number): void {
    this.closeDeadline = deadline;
  }

  async onApplicationShutdown(): Promise<void> {
    const closing = (async () => {
      for (const { what, close } of this.closers.splice(0).reverse()) {
        try {
          await close();
        } catch (error) {
          this.logger.warn(`closing ${what} failed: ${redactCredentials((error as Error).message)}`);
        }
      }
    })();
    // A pool whose client never comes back (a hung query) would hold pool.end() forever.
    const left = this.closeDeadline - Date.now();
    if (!Number.isFinite(left)) return closing;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>(
      (resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, left))),
    );
    const outcome = await Promise.race([closing, late]);
    clearTimeout(timer);
    if (outcome === 'late')
      this.logger.warn('clients still closing at the end of the grace period: not waited for');
  }
}

/**
 * The core library's Logger on top of Nest's (hence nestjs-pino in the app): the context object becomes
 * structured fields. The core never puts record payloads in its log contexts.
 */
export function coreLogger(context: string): CoreLogger {
  const nest = new Logger(context);
  return {
    debug: (msg, fields) => nest.debug({ msg, ...fields }),
    info: (msg, fields) => nest.log({ msg, ...fields }),
    warn: (msg, fields) => nest.warn({ msg, ...fields }),
    error: (msg, fields) => nest.error({ msg, ...fields }),
  };
}
