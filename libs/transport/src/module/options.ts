import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import {
  KinesisError,
  type KinesisConnectionOptions,
  type Logger,
  type ProducerOptions,
} from '../../../kinesis/src/index.js';

/** One named producer: the core Producer's options, its client being the module's. */
export type NamedProducerOptions = Omit<ProducerOptions, 'client'>;

export interface KinesisModuleOptions extends KinesisConnectionOptions {
  /** An AWS client to use instead of creating one from the connection options; it is not destroyed on shutdown. */
  awsClient?: KinesisClient;
  /** Producers by name, each injected with `@InjectProducer(name)`. */
  producers?: Record<string, NamedProducerOptions>;
  /**
   * How long shutdown waits for the producers to send what they hold, ms (default 10 000). Past it a warning names
   * the producers still draining and shutdown goes on: the module's own client is destroyed, failing what they hold.
   */
  closeTimeoutMs?: number;
  /** The core library's logger (producers' warnings, unless a producer names its own). Default: Nest's logger. */
  logger?: Logger;
}

/** What must be known when the module is imported (not from a factory). */
export interface KinesisModuleSetup {
  /** Register the client and producers globally: every module injects them without importing KinesisModule. */
  isGlobal?: boolean;
}

export interface KinesisModuleAsyncOptions extends KinesisModuleSetup {
  /** Modules the factory's `inject` needs (e.g. ConfigModule). */
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => KinesisModuleOptions | Promise<KinesisModuleOptions>;
  /**
   * The names of the producers the factory configures: Nest needs each token before the factory runs. The
   * factory's `producers` must hold exactly these names.
   */
  producers?: string[];
}

/** The module's defaults, one place for each (the options' docs name them). */
export const KINESIS_MODULE_DEFAULTS = Object.freeze({ closeTimeoutMs: 10_000 });

export type ResolvedKinesisModuleOptions = KinesisModuleOptions & {
  producers: Record<string, NamedProducerOptions>;
  closeTimeoutMs: number;
};

/** KinesisModule's options are not usable; `problems` lists each one. */
export class KinesisModuleOptionsError extends KinesisError {
  constructor(readonly problems: string[]) {
    super(
      `invalid KinesisModule options (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/**
 * Applies the defaults and reports every problem at once. `declared`: the producer names forRootAsync announced,
 * which the factory's `producers` must match (a name without a token could never be injected).
 */
export function resolveKinesisModuleOptions(
  options: KinesisModuleOptions,
  declared?: readonly string[],
): ResolvedKinesisModuleOptions {
  const problems: string[] = [];
  const producers = options.producers ?? {};
  const names = Object.keys(producers);
  for (const name of names) {
    if (!name.trim()) problems.push('a producer name must not be empty');
    if (typeof producers[name]?.streamName !== 'string' || !producers[name].streamName)
      problems.push(`producer "${name}": streamName is required`);
  }
  if (declared) {
    for (const name of declared.filter((n) => !names.includes(n)))
      problems.push(`producer "${name}" is declared in forRootAsync but the factory gave no options for it`);
    for (const name of names.filter((n) => !declared.includes(n)))
      problems.push(`producer "${name}" from the factory is not declared in forRootAsync's producers`);
  }
  const closeTimeoutMs = options.closeTimeoutMs ?? KINESIS_MODULE_DEFAULTS.closeTimeoutMs;
  if (!Number.isInteger(closeTimeoutMs) || closeTimeoutMs < 1)
    problems.push(`closeTimeoutMs must be an integer >= 1, got ${String(closeTimeoutMs)}`);
  if (problems.length > 0) throw new KinesisModuleOptionsError(problems);
  return { ...options, producers, closeTimeoutMs };
}
