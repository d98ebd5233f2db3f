/**
 * The connector app: `npm run build && node dist/apps/connector/src/main.js`, configured by the environment
 * (see config.ts). SIGTERM / SIGINT run Nest's shutdown hooks (stop reading, flush, checkpoint), then exit 0.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { ConnectorParts } from '../../../libs/connector/src/nest/index.js';
import { ConfigValidationError, loadConnectorConfig, redactCredentials } from './config.js';

export { AppModule } from './app.module.js';
export {
  ConfigValidationError,
  loadConnectorConfig,
  CONNECTOR_CONFIG,
  type ConnectorConfig,
} from './config.js';
export { ConnectorMetrics } from './metrics.js';

export interface CreateConnectorAppOptions {
  /** Parts replacing the configured ones, e.g. `{ emitter: { useValue: myEmitter } }` (see ConnectorModule). */
  parts?: ConnectorParts;
  /** Listen on HTTP_HOST:HTTP_PORT (default true); false: only init (the connector runs, no HTTP server). */
  listen?: boolean;
}

/**
 * Builds, starts and (by default) listens: the connector is reading when this resolves. `env` replaces
 * process.env as the configuration source. Throws ConfigValidationError before anything starts.
 */
export async function createConnectorApp(
  env: Record<string, string | undefined> = process.env,
  { parts, listen = true }: CreateConnectorAppOptions = {},
): Promise<INestApplication> {
  // Validated up front so a bad config is one clear error, not a Nest bootstrap stack trace.
  const config = loadConnectorConfig(env);
  const app = await NestFactory.create(AppModule.forRoot({ config, parts, env }), {
    bufferLogs: true,
    abortOnError: false,
  });
  const logger = app.get(Logger);
  app.useLogger(logger);
  if (!listen) {
    await app.init();
    return app;
  }
  try {
    await app.listen(config.httpPort, config.httpHost);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  // The address actually bound, as the OS reports it (not what the config asked for).
  const address = app.getHttpServer().address();
  const where =
    typeof address === 'object' && address
      ? `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
      : String(address);
  logger.log(`connector listening on http://${where}`, 'ConnectorApp');
  return app;
}

/** The process entry: shutdown hooks on SIGTERM / SIGINT, exit 0 once the connector has stopped. */
export async function bootstrap(): Promise<INestApplication> {
  // The SDK's notice that its 2027 releases need Node 22 is for the developer, not every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const app = await createConnectorApp();
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  return app;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bootstrap().catch((error: unknown) => {
    // A config problem needs its list, not a stack; anything else needs the stack (with no URL credentials).
    const text =
      error instanceof ConfigValidationError ? error.message : ((error as Error)?.stack ?? String(error));
    console.error(redactCredentials(text));
    process.exit(1);
  });
}
