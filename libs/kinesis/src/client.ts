import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface KinesisConnectionOptions {
  /** Default: `AWS_KINESIS_REGION`, then `AWS_REGION`, else `us-east-1`. */
  region?: string;
  /** Default: `KINESIS_ENDPOINT`; unset means the AWS endpoint for the region. */
  endpoint?: string;
  /** Default: the SDK's default credentials provider chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * A request fails with a retryable TimeoutError (the SDK's retries then apply) when nothing arrives from the
   * endpoint for this long, ms. Default 30 s; 0 turns it off (the SDK's own default waits forever). It measures
   * inactivity, not duration: an enhanced fan-out subscription (up to 5 minutes) stays open while its events
   * flow; one cut anyway is resubscribed from where it stopped. Not applied to `clientConfig.requestHandler`.
   */
  requestTimeoutMs?: number;
  /**
   * Connecting fails with a retryable TimeoutError after this long, ms. Default 5 s; 0 turns it off. Only where
   * the HTTP/1.1 handler is used (a custom endpoint): the SDK's HTTP/2 handler for AWS has no such setting.
   */
  connectionTimeoutMs?: number;
  /** Anything else the SDK client takes (retry strategy, logger, ...). */
  clientConfig?: Omit<KinesisClientConfig, 'region' | 'endpoint' | 'credentials'>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

export function resolveRegion(region?: string, env: NodeJS.ProcessEnv = process.env): string {
  return region || env.AWS_KINESIS_REGION || env.AWS_REGION || 'us-east-1';
}

export function resolveEndpoint(endpoint?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return endpoint || env.KINESIS_ENDPOINT || undefined;
}

/**
 * A Kinesis client with the project's defaults. A custom endpoint (kinesalite, kinesis-local, a VPC
 * proxy) gets the HTTP/1.1 handler: the SDK's default HTTP/2 handler fails against the local emulators.
 * Both get request (and, HTTP/1.1, connection) timeouts: see `requestTimeoutMs` and `connectionTimeoutMs`.
 */
export function createKinesisClient(options: KinesisConnectionOptions = {}): KinesisClient {
  const endpoint = resolveEndpoint(options.endpoint);
  return new KinesisClient({
    ...options.clientConfig,
    region: resolveRegion(options.region),
    requestHandler: options.clientConfig?.requestHandler ?? timedHandler(options, endpoint !== undefined),
    ...(endpoint ? { endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}

function timedHandler(options: KinesisConnectionOptions, http1: boolean): NodeHttpHandler | NodeHttp2Handler {
  const timeout = (name: 'requestTimeoutMs' | 'connectionTimeoutMs', fallback: number) => {
    const value = options[name] ?? fallback;
    if (!Number.isInteger(value) || value < 0)
      throw new RangeError(`kinesis client option ${name} must be an integer >= 0, got ${String(value)}`);
    return value || undefined; // 0: off
  };
  const requestTimeout = timeout('requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS);
  const connectionTimeout = timeout('connectionTimeoutMs', DEFAULT_CONNECTION_TIMEOUT_MS);
  if (!http1) {
    // The SDK's own default for Kinesis (one HTTP/2 session per request), with the stream inactivity timeout.
    return new NodeHttp2Handler({ requestTimeout, disableConcurrentStreams: true });
  }
  // socketTimeout: no byte for that long, response body included; requestTimeout: no response headers.
  return new NodeHttpHandler({
    connectionTimeout,
    socketTimeout: requestTimeout,
    requestTimeout,
    throwOnRequestTimeout: requestTimeout !== undefined,
  });
}
