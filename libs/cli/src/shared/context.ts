/**
 * What every command shares: the global options, the AWS clients made from them (once, closed at the end of the
 * run), the output, and the two kinds of failure a command reports.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { InvalidArgumentError, type Command } from 'commander';
import { createKinesisClient, KinesisError, resolveRegion } from '../../../kinesis/src/index.js';
import { Output, type CliIo } from './output.js';

export interface GlobalOptions {
  endpoint?: string;
  dynamodbEndpoint?: string;
  region?: string;
  json?: boolean;
}

/** Wraps a command's handler: the context (clients, output) is made from the options the command was given. */
export type ActionOf = (
  handler: (ctx: CliContext, command: Command) => Promise<void>,
) => (...args: unknown[]) => Promise<void>;

/** The command line was wrong (exit code 2), as opposed to an operation that failed (exit code 1). */
export class CliUsageError extends KinesisError {}

export class CliContext {
  readonly out: Output;
  private kinesisClient: KinesisClient | undefined;
  private dynamoClient: DynamoDBClient | undefined;

  constructor(
    readonly io: CliIo,
    readonly options: GlobalOptions,
  ) {
    this.out = new Output(io, options.json === true);
  }

  /** The core's client: a custom endpoint gets the HTTP/1.1 handler the local emulators need. */
  get kinesis(): KinesisClient {
    this.kinesisClient ??= createKinesisClient({
      endpoint: this.options.endpoint,
      region: this.options.region,
    });
    return this.kinesisClient;
  }

  /** For checkpoint and lease tables: `--dynamodb-endpoint`, else `DYNAMODB_ENDPOINT`, else AWS. */
  get dynamo(): DynamoDBClient {
    if (!this.dynamoClient) {
      const endpoint = this.options.dynamodbEndpoint || process.env.DYNAMODB_ENDPOINT || undefined;
      this.dynamoClient = new DynamoDBClient({
        region: resolveRegion(this.options.region),
        ...(endpoint ? { endpoint, requestHandler: new NodeHttpHandler() } : {}),
      });
    }
    return this.dynamoClient;
  }

  close(): void {
    this.out.endProgress();
    this.kinesisClient?.destroy();
    this.dynamoClient?.destroy();
  }
}

/** Option parsers: a bad value is a usage error (commander reports it and `run` exits with 2). */
export function positiveInteger(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}`);
    return n;
  };
}

export function timestamp(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw new InvalidArgumentError('expected an ISO 8601 time, e.g. 2026-01-31T12:00:00Z');
  return date;
}
