/**
 * The clients the default parts need, created on first use from the options (Kinesis and DynamoDB here; the
 * optional drivers' S3 client and Postgres pool in driver-clients.ts, shared through `shared`), and everything
 * the module opened, released on shutdown. It closes after ConnectorService has stopped the connector
 * (onApplicationShutdown runs after beforeApplicationShutdown), so the final flush and checkpoint still work.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createKinesisClient, type Logger as CoreLogger } from '../../../kinesis/src/index.js';
import { redactCredentials } from '../redact.js';
import type { ResolvedConnectorOptions } from './options.js';
import { CONNECTOR_OPTIONS } from './tokens.js';

@Injectable()
export class ConnectorResources implements OnApplicationShutdown {
  private readonly logger = new Logger('ConnectorResources');
  private kinesisClient?: KinesisClient;
  private dynamoClient?: DynamoDBClient;
  private readonly closers: Array<{ what: string; close: () => Promise<void> | void }> = [];
  private readonly made = new Map<string, Promise<unknown>>();
  /** Set when shutdown starts (ConnectorService): closing the clients never runs past it. */
  private closeDeadline = Infinity;

  constructor(@Inject(CONNECTOR_OPTIONS) readonly config: ResolvedConnectorOptions) {}

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
   * request with no answer, or a response that stops arriving, fails after awsRequestTimeoutMs (the SDK's
   * default waits forever), a connection after awsConnectTimeoutMs; the SDK's retries still apply.
   */
  httpHandler(): NodeHttpHandler {
    const timeout = this.config.awsRequestTimeoutMs;
    return new NodeHttpHandler({
      requestTimeout: timeout, // until the response headers
      socketTimeout: timeout, // no byte for that long, the body included
      throwOnRequestTimeout: true, // without it the handler only logs a warning and keeps waiting
      connectionTimeout: this.config.awsConnectTimeoutMs,
    });
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

  /**
   * One `create()` per key, shared by every part that asks (a client, a bucket made ready); a failure is not kept
   * (a missing driver, an unreachable endpoint), so the next call tries again.
   */
  shared<T>(key: string, create: () => Promise<T>): Promise<T> {
    let made = this.made.get(key) as Promise<T> | undefined;
    if (!made) {
      made = create();
      this.made.set(key, made);
      made.catch(() => this.made.delete(key));
    }
    return made;
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
 * The core library's Logger on top of Nest's (an app's logger, e.g. nestjs-pino, gets the core's lines): the
 * context object becomes structured fields. The core never puts record payloads in its log contexts.
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
