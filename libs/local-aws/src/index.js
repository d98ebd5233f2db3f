/**
 * Local AWS endpoints on loopback and ephemeral ports, for tests, the demo and the benchmarks.
 * Not part of the published package: the emulators are development dependencies.
 */
import { spawn } from 'node:child_process';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * @typedef {object} LocalService
 * @property {string} name
 * @property {string} endpoint
 * @property {() => Promise<void>} stop
 */

const require = createRequire(import.meta.url);

/** @param {{ address(): any }} server */
function endpointOf(server) {
  return `http://127.0.0.1:${server.address().port}`;
}

/** @param {import('node:net').Server} server @returns {Promise<void>} */
function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

/** @param {{ close(cb: () => void): void }} server @returns {Promise<void>} */
function closeServer(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** @param {Record<string, unknown>} [options] @returns {Promise<LocalService>} */
export async function startKinesalite(options = {}) {
  const { default: kinesalite } = await import('kinesalite');
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 1000,
    ...options,
  });
  await listen(server);
  return { name: 'kinesalite', endpoint: endpointOf(server), stop: () => closeServer(server) };
}

/** @returns {Promise<LocalService>} */
export async function startDynalite() {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(server);
  return { name: 'dynalite', endpoint: endpointOf(server), stop: () => closeServer(server) };
}

/**
 * @param {string} [directory] where objects are kept (kept on stop when given)
 * @param {number} [port] a fixed port, e.g. to restart on the same endpoint (default: ephemeral)
 * @returns {Promise<LocalService & { directory: string }>}
 */
export async function startS3rver(directory, port = 0) {
  const { default: S3rver } = await import('s3rver');
  const dir = directory ?? mkdtempSync(join(tmpdir(), 's3rver-'));
  const s3rver = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir });
  const address = await s3rver.run();
  return {
    name: 's3rver',
    endpoint: `http://127.0.0.1:${address.port}`,
    directory: dir,
    stop: async () => {
      await s3rver.close();
      if (!directory) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** @returns {Promise<number>} */
export async function freePort() {
  const server = createServer();
  await listen(server);
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await closeServer(server);
  return port;
}

/** @param {string} url @param {import('node:child_process').ChildProcess} child @param {number} timeoutMs */
async function waitForHttp(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kinesis-local exited with code ${child.exitCode}`);
    try {
      await fetch(url, { method: 'POST', signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`kinesis-local did not answer at ${url} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** kinesis-mock (ChildShards, UpdateShardCount, enhanced fan-out) as a child process. */
/** @param {Record<string, string>} [env] @returns {Promise<LocalService>} */
export async function startKinesisLocal(env = {}) {
  const packageDir = dirname(require.resolve('kinesis-local/package.json'));
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(packageDir, 'main.js')], {
    env: {
      ...process.env,
      KINESIS_MOCK_PLAIN_PORT: String(plainPort),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      KINESIS_MOCK_CERT_PATH: join(packageDir, 'server.json'),
      CREATE_STREAM_DURATION: '0ms',
      DELETE_STREAM_DURATION: '0ms',
      UPDATE_SHARD_COUNT_DURATION: '0ms',
      SPLIT_SHARD_DURATION: '0ms',
      MERGE_SHARDS_DURATION: '0ms',
      REGISTER_STREAM_CONSUMER_DURATION: '0ms',
      DEREGISTER_STREAM_CONSUMER_DURATION: '0ms',
      SHARD_LIMIT: '1000',
      LOG_LEVEL: 'ERROR',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const endpoint = `http://127.0.0.1:${plainPort}`;
  try {
    await waitForHttp(endpoint, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${/** @type {Error} */ (error).message}\n${stderr}`, { cause: error });
  }
  return {
    name: 'kinesis-local',
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(undefined);
        const killer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve(undefined);
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * One of kinesalite, dynalite or s3rver in a child process (see serve.js): for benchmarks, so the emulator
 * does not share the measured process's event loop and core.
 * @param {'kinesalite' | 'dynalite' | 's3rver'} kind
 * @returns {Promise<LocalService>}
 */
export async function startInChildProcess(kind) {
  const child = spawn(
    process.execPath,
    [join(dirname(new URL(import.meta.url).pathname), 'serve.js'), kind],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const endpoint = await new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`${kind} exited with code ${code}`)));
    child.stdout?.on('data', (chunk) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]).endpoint);
    });
  });
  return {
    name: kind,
    endpoint: /** @type {string} */ (endpoint),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(undefined);
        child.removeAllListeners('exit');
        child.once('exit', () => resolve(undefined));
        child.kill('SIGTERM');
      }),
  };
}

/**
 * An S3 client for s3rver: path-style URLs, checksums only when required (otherwise streamed uploads are
 * stored with aws-chunked framing), HTTP/1.1, and s3rver's fixed key pair.
 * @param {string} endpoint
 * @param {Partial<import('@aws-sdk/client-s3').S3ClientConfig>} [config] overrides, e.g. timeouts
 * @returns {S3Client}
 */
export function createS3rverClient(endpoint, config = {}) {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler(),
    ...config,
  });
}
