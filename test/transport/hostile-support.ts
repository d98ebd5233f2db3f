/**
 * What the hostile-input suite needs: a server whose every log line (core logger and Nest's) is captured, raw
 * records put on the act stream as a writer without our client would, and what the server holds in memory.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { aggregate, MAX_RECORD_BYTES, type Logger } from '../../libs/kinesis/src/index.js';
import { ServerKinesis, type ServerKinesisOptions } from '../../libs/transport/src/index.js';
import { ServiceModule, type RunningService } from './fixtures.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export interface LogLine {
  level: Level;
  text: string;
}

/** Every line both loggers were given, as it would be printed (errors with their stack, as Nest prints them). */
export class CapturedLogs {
  readonly lines: LogLine[] = [];

  /** The server's core `logger` option. */
  readonly core: Logger = {
    debug: (m, c) => this.add('debug', [m, c]),
    info: (m, c) => this.add('info', [m, c]),
    warn: (m, c) => this.add('warn', [m, c]),
    error: (m, c) => this.add('error', [m, c]),
  };

  /** Nest's logger (Logger.overrideLogger through NestFactory): Server.logger, exception filters. */
  readonly nest: LoggerService = {
    log: (...a: unknown[]) => this.add('info', a),
    error: (...a: unknown[]) => this.add('error', a),
    fatal: (...a: unknown[]) => this.add('error', a),
    warn: (...a: unknown[]) => this.add('warn', a),
    debug: (...a: unknown[]) => this.add('debug', a),
    verbose: (...a: unknown[]) => this.add('debug', a),
  };

  /** Characters logged at `debug` and above (`all`) or above debug (the default). */
  bytes(levels: 'above-debug' | 'all' = 'above-debug'): number {
    return this.select(levels).reduce((n, l) => n + l.text.length, 0);
  }

  select(levels: 'above-debug' | 'all' = 'above-debug'): LogLine[] {
    return levels === 'all' ? this.lines : this.lines.filter((l) => l.level !== 'debug');
  }

  clear(): void {
    this.lines.length = 0;
  }

  private add(level: Level, args: unknown[]): void {
    const text = args
      .filter((a) => a !== undefined)
      .map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === 'string' ? a : json(a)))
      .join(' ');
    this.lines.push({ level, text });
  }
}

const json = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/** A Nest microservice (the suites' ServiceModule) whose server and Nest logs go to `logs`. */
export async function startLoggedService(
  options: ServerKinesisOptions,
  logs: CapturedLogs,
): Promise<RunningService> {
  const server = new ServerKinesis({ pollIntervalMs: 50, logger: logs.core, ...options });
  const app = await NestFactory.createMicroservice(ServiceModule, { strategy: server, logger: logs.nest });
  await app.listen();
  return { app, server, close: () => app.close() };
}

/** Puts one record on `stream` as it is (a writer that does not use our client). */
export async function putRaw(
  client: KinesisClient,
  stream: string,
  data: Buffer,
  partitionKey = 'hostile',
): Promise<void> {
  await client.send(new PutRecordCommand({ StreamName: stream, Data: data, PartitionKey: partitionKey }));
}

/** One KPL aggregate of `envelope` repeated to fill a record (1 MiB with the partition key); returns the count. */
export function aggregateOfRepeated(envelope: object, maxBytes = MAX_RECORD_BYTES - 1024) {
  const data = Buffer.from(JSON.stringify(envelope));
  const count = Math.floor(maxBytes / (data.length + 6)); // + the sub-record's tags, lengths and key index
  const record = aggregate(Array.from({ length: count }, () => ({ data, partitionKey: 'k' })));
  return { record, count, envelopeBytes: data.length };
}

/** The server's private parts a hostile writer could grow: dedupe keys and reply producers. */
export function heldByServer(server: ServerKinesis): {
  dedupeIds: number;
  dedupeChars: number;
  producers: number;
} {
  const seen = (server as any).dedupe.seen as Map<string, number>;
  let chars = 0;
  for (const id of seen.keys()) chars += id.length;
  const producers = ((server as any).replies?.producers as Map<string, unknown> | undefined)?.size ?? 0;
  return { dedupeIds: seen.size, dedupeChars: chars, producers };
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after a full collection, MB. */
export function heapUsedMb(): number {
  gc();
  gc();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
}

/** One line of numbers for the report (stdout, so it shows without jest's console decoration). */
export function report(name: string, numbers: Record<string, unknown>): void {
  process.stdout.write(`[hostile] ${name}: ${JSON.stringify(numbers)}\n`);
}
