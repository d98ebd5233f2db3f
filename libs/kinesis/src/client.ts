import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface KinesisClientOptions {
  /** Default: `AWS_KINESIS_REGION`, then `AWS_REGION`, else `us-east-1`. */
  region?: string;
  /** Default: `KINESIS_ENDPOINT`; unset means the AWS endpoint for the region. */
  endpoint?: string;
  /** Default: the SDK's default credentials provider chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Anything else the SDK client takes (retry strategy, logger, ...). */
  clientConfig?: Omit<KinesisClientConfig, 'region' | 'endpoint' | 'credentials'>;
}

export function resolveRegion(region?: string, env: NodeJS.ProcessEnv = process.env): string {
  return region || env.AWS_KINESIS_REGION || env.AWS_REGION || 'us-east-1';
}

export function resolveEndpoint(endpoint?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return endpoint || env.KINESIS_ENDPOINT || undefined;
}

/**
 * A Kinesis client with the project's defaults. A custom endpoint (kinesalite, kinesis-local, a VPC
 * proxy) gets the HTTP/1.1 handler: the SDK's default HTTP/2 handler fails against the local emulators.
 */
export function createKinesisClient(options: KinesisClientOptions = {}): KinesisClient {
  const endpoint = resolveEndpoint(options.endpoint);
  return new KinesisClient({
    ...options.clientConfig,
    region: resolveRegion(options.region),
    ...(endpoint
      ? { endpoint, requestHandler: options.clientConfig?.requestHandler ?? new NodeHttpHandler() }
      : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
