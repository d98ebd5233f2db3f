#!/usr/bin/env node
/**
 * The package as a user meets it: `npm pack` the built package (run `npm run build` first), install the tarball
 * into fresh applications and check that every entry type-checks with `skipLibCheck: false` and loads:
 *   - esm-nest12: an ES module Nest 12 application (all optional peers installed);
 *   - cjs-nest11: a CommonJS Nest 11 application as `nest new` makes it (module commonjs), also type-checked as a
 *     node16 CommonJS consumer; it require()s every entry;
 *   - transport-only: Nest and nothing optional: no pg, ioredis, @aws-sdk/client-s3 nor @opentelemetry/api gets
 *     installed, every entry without a driver type-checks, every entry loads, and a driver's absence is a
 *     MissingPeerDependencyError. Telemetry's peer (@opentelemetry/api) is absent from cjs-nest11 too: both builds
 *     load and round-trip without it.
 * Each application also checks that an entry's runtime names are the API report's (scripts/api-report.mjs), and
 * runs a real round trip on a kinesalite this script starts (scripts/pack-app/round-trip.ts, compiled as the app
 * compiles: a microservice with ServerKinesis answers a @MessagePattern request and takes an @EventPattern event
 * from a ClientKinesis of ClientsModule).
 * Installs use the npm cache first (--prefer-offline). `--keep` leaves the temp directory for a look.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKinesalite } from '../libs/local-aws/src/index.js';
import { collectApi } from './api-report.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const keep = process.argv.includes('--keep');

/** Entries that need an optional peer to type-check (their declarations import its types). */
const DRIVER_PEERS = {
  './kinesis/redis': ['ioredis'],
  './connector/s3': ['@aws-sdk/client-s3'],
  './connector/postgres': ['pg', '@types/pg'],
  './connector/redshift': ['pg', '@types/pg', '@aws-sdk/client-s3'],
};
const entries = Object.keys(pkg.exports).filter((subpath) => subpath !== './package.json');
const specifier = (subpath) => (subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`);
const dev = (name) => `${name}@${pkg.devDependencies[name]}`;

function run(command, args, cwd, env = process.env) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 << 20, timeout: 300_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} (in ${cwd}):\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
const failures = [];
let checks = 0;
function check(app, what, ok, detail = '') {
  checks++;
  if (ok) console.log(`  ok   ${app}: ${what}`);
  else {
    console.log(`  FAIL ${app}: ${what}${detail ? `\n${detail}` : ''}`);
    failures.push(`${app}: ${what}`);
  }
}

/** A Nest application module with ClientKinesis registered, importing `typed` entries (statically). */
function mainSource(typed) {
  const imports = typed.map((subpath, i) => `import * as e${i} from '${specifier(subpath)}';`);
  const names = typed.map((subpath, i) => `  '${subpath}': e${i},`);
  return `import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, type MicroserviceOptions } from '@nestjs/microservices';
import { ClientKinesis, ServerKinesis } from '${pkg.name}';
${imports.join('\n')}

export const typed: Record<string, object> = {
${names.join('\n')}
};

@Module({
  imports: [
    ClientsModule.register([
      { name: 'ORDERS', customClass: ClientKinesis, options: { actStream: 'orders-act', resStream: 'orders-res' } },
    ]),
  ],
})
class AppModule {}

/** The strategy a microservice would listen with (not started: no stream is needed to check the types). */
export const microservice: MicroserviceOptions = {
  strategy: new ServerKinesis({ actStream: 'orders-act', resStream: 'orders-res' }),
};

export async function main(): Promise<boolean> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const client = app.get('ORDERS');
  await app.close();
  return client instanceof ClientKinesis;
}
`;
}

/** Loads every entry the way the application's module system does; prints the names each exports. */
function loadSource(type) {
  const load = type === 'module' ? 'await import(name)' : 'require(name)';
  const body = `const result = { names: {}, errors: {} };
for (const [subpath, name] of ${JSON.stringify(entries.map((s) => [s, specifier(s)]))}) {
  try { result.names[subpath] = Object.keys(${load}).sort(); } catch (error) { result.errors[subpath] = String(error); }
}
const main = ${type === 'module' ? "await import('./dist/main.js')" : "require('./dist/main.js')"};
result.nestClient = await main.main();
try {
  const { roundTrip } = ${type === 'module' ? "await import('./dist/round-trip.js')" : "require('./dist/round-trip.js')"};
  result.roundTrip = await roundTrip(process.env.PACK_KINESIS_ENDPOINT, process.env.PACK_STREAM_PREFIX);
} catch (error) {
  result.roundTrip = { error: String(error?.stack ?? error) };
}
try {
  const { PostgresEmitter, jsonColumns } = ${load.replace('name', `'${specifier('./connector/postgres')}'`)};
  const emitter = new PostgresEmitter({ pool: {}, table: 'orders', columns: jsonColumns });
  await emitter.emit({ streamName: 's', shardId: 'shardId-0', items: [] });
  result.postgres = 'no error';
} catch (error) {
  result.postgres = { name: error.name, message: error.message };
}
console.log(JSON.stringify(result));`;
  return type === 'module'
    ? body
    : `(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });`;
}

function tsconfig(type) {
  const common = {
    target: 'ES2022',
    declaration: true,
    emitDecoratorMetadata: true,
    experimentalDecorators: true,
    skipLibCheck: false,
    outDir: './dist',
    rootDir: './src',
    types: ['node'],
  };
  // ESM: what a Nest 12 app uses; CommonJS: the `nest new` template (module commonjs, so node10 resolution).
  return type === 'module'
    ? { compilerOptions: { ...common, module: 'nodenext', moduleResolution: 'nodenext', strict: true } }
    : {
        compilerOptions: {
          ...common,
          module: 'commonjs',
          allowSyntheticDefaultImports: true,
          strictNullChecks: false,
          noImplicitAny: false,
        },
      };
}

async function app(dir, tarball, kinesis, { name, type, nest, peers, typed }) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }, null, 2));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig(type), null, 2));
  writeFileSync(join(dir, 'src', 'main.ts'), mainSource(typed));
  copyFileSync(join(root, 'scripts', 'pack-app', 'round-trip.ts'), join(dir, 'src', 'round-trip.ts'));
  writeFileSync(join(dir, type === 'module' ? 'load.mjs' : 'load.cjs'), loadSource(type));
  const deps = [tarball, ...nest, dev('reflect-metadata'), dev('rxjs'), dev('@types/node'), ...peers];
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...deps],
    dir,
  );
  console.log(`  ${name}: installed (${elapsed()})`);

  const typecheck = (extra) =>
    run('node', [tsc, '-p', '.', ...extra], dir).then(
      () => '',
      (e) => e.message,
    );
  // A CommonJS consumer resolving with node16 reads the require condition's types (node10 reads typesVersions).
  const node16 = ['--noEmit', '--module', 'node16', '--moduleResolution', 'node16'];
  const [errors, node16Errors] = await Promise.all([
    typecheck([]),
    type === 'commonjs' ? typecheck(node16) : '',
  ]);
  console.log(`  ${name}: type-checked (${elapsed()})`);
  const module = tsconfig(type).compilerOptions.module;
  check(name, `type-checks with skipLibCheck false (${module})`, !errors, errors);
  if (type === 'commonjs')
    check(name, 'type-checks as a node16 CommonJS consumer', !node16Errors, node16Errors);
  if (errors) return;
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    PACK_KINESIS_ENDPOINT: kinesis.endpoint,
    PACK_STREAM_PREFIX: name, // one pair of streams per application: they run at once on one kinesalite
  };
  const out = await run('node', [type === 'module' ? 'load.mjs' : 'load.cjs'], dir, env).catch((e) => e);
  console.log(`  ${name}: ran (${elapsed()})`);
  if (out instanceof Error) return check(name, 'runs', false, out.message);
  return { ...JSON.parse(out), cli: await runBin(dir, env, kinesis.endpoint, `${name}-cli`) };
}

/** The installed command line, as an operator runs it: creates a stream, then describes it as JSON. */
async function runBin(dir, env, endpoint, stream) {
  const bin = (...args) =>
    run(
      'npx',
      ['--no', '--', 'nestjs-kinesis-transport', '--endpoint', endpoint, '--json', ...args],
      dir,
      env,
    );
  try {
    await bin('streams', 'create', stream, '--shards', '2', '--wait');
    const described = JSON.parse(await bin('streams', 'describe', stream));
    return { streamName: described.streamName, status: described.status, shards: described.shards.length };
  } catch (error) {
    return { error: String(error?.message ?? error) };
  }
}

function checkLoaded(name, result, api, expectPostgres) {
  if (!result) return;
  check(
    name,
    'loads every entry',
    Object.keys(result.errors).length === 0,
    JSON.stringify(result.errors, null, 2),
  );
  const differing = entries.filter((subpath) => {
    const reported = api[subpath].filter((n) => n.runtime).map((n) => n.name);
    return JSON.stringify(result.names[subpath] ?? []) !== JSON.stringify(reported.sort());
  });
  check(
    name,
    "each entry's runtime names are the API report's",
    differing.length === 0,
    differing.join(', '),
  );
  check(name, 'ClientKinesis registered with ClientsModule (Nest DI)', result.nestClient === true);
  const expected = { reply: { total: 6, kinesisContext: true }, event: { id: 7 } };
  check(
    name,
    'round trip on kinesalite: a @MessagePattern reply and an @EventPattern event',
    JSON.stringify(result.roundTrip) === JSON.stringify(expected),
    JSON.stringify(result.roundTrip, null, 2),
  );
  check(
    name,
    'npx nestjs-kinesis-transport streams create/describe --json (the installed bin)',
    JSON.stringify(result.cli) === JSON.stringify({ streamName: `${name}-cli`, status: 'ACTIVE', shards: 2 }),
    JSON.stringify(result.cli, null, 2),
  );
  const pg = result.postgres;
  const missing =
    pg?.name === 'MissingPeerDependencyError' &&
    pg.message.includes('"pg"') &&
    pg.message.includes('npm install pg');
  if (expectPostgres === 'missing') check(name, `./connector/postgres without pg: ${pg?.message}`, missing);
  else check(name, './connector/postgres finds pg', !missing, JSON.stringify(pg));
}

const dir = mkdtempSync(join(tmpdir(), 'kinesis-pack-'));
let kinesis;
try {
  const api = collectApi();
  const packing = run('npm', ['pack', '--json', '--pack-destination', dir], root);
  kinesis = await startKinesalite();
  const packed = JSON.parse(await packing)[0];
  const tarball = join(dir, packed.filename);
  const files = packed.files.map((f) => f.path);
  console.log(`packed ${packed.filename}: ${files.length} files, ${Math.round(packed.size / 1024)} kB`);
  const has = (path) => files.includes(path);
  check(
    'tarball',
    'has the library READMEs',
    has('libs/seneca/README.md') && has('libs/kinesis/src/kcl/README.md'),
  );
  const stray = files.filter((f) => /\.spec\.|multilang-test-daemon|^dist\/(apps|bench)\//.test(f));
  check(
    'tarball',
    'has no spec files, test doubles, apps or benchmarks',
    stray.length === 0,
    stray.join('\n'),
  );
  check('tarball', 'marks the CommonJS build as CommonJS', has('dist/cjs/package.json'));
  check('tarball', 'has the command line (bin)', has(pkg.bin['nestjs-kinesis-transport'].slice(2)));
  for (const [subpath, target] of entries.map((s) => [s, pkg.exports[s]])) {
    const paths = [target.import.types, target.import.default, target.require.types, target.require.default];
    const absent = paths.map((p) => p.slice(2)).filter((p) => !has(p));
    check('tarball', `has the files of ${subpath}`, absent.length === 0, absent.join('\n'));
  }

  const allPeers = [...new Set(Object.values(DRIVER_PEERS).flat())].map(dev);
  const nest12 = ['@nestjs/common', '@nestjs/core', '@nestjs/microservices'].map(dev);
  const nest11 = ['@nestjs/common@^11', '@nestjs/core@^11', '@nestjs/microservices@^11'];
  const withoutDrivers = entries.filter((subpath) => !DRIVER_PEERS[subpath]);
  const apps = [
    { name: 'esm-nest12', type: 'module', nest: nest12, peers: allPeers, typed: entries },
    { name: 'cjs-nest11', type: 'commonjs', nest: nest11, peers: allPeers, typed: entries },
    { name: 'transport-only', type: 'module', nest: nest12, peers: [], typed: withoutDrivers },
  ];
  const results = await Promise.all(apps.map((a) => app(join(dir, a.name), tarball, kinesis, a)));
  apps.forEach((a, i) => checkLoaded(a.name, results[i], api, a.peers.length ? 'found' : 'missing'));
  const installed = ['pg', 'ioredis', '@aws-sdk/client-s3', '@opentelemetry/api'].filter((p) =>
    existsSync(join(dir, 'transport-only', 'node_modules', p)),
  );
  check(
    'transport-only',
    'installs none of pg, ioredis, @aws-sdk/client-s3, @opentelemetry/api',
    installed.length === 0,
    installed.join(),
  );
  // transport-only proved the ES module build loads and round-trips without the telemetry peer; this, the CommonJS.
  const cjsOtel = existsSync(join(dir, 'cjs-nest11', 'node_modules', '@opentelemetry', 'api'));
  check('cjs-nest11', 'has no @opentelemetry/api (the CommonJS build without it)', !cjsOtel);
} catch (error) {
  failures.push(String(error?.message ?? error));
  console.error(error);
} finally {
  await kinesis?.stop();
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(
    `pack-test: ${failures.length} of ${checks} checks failed (${elapsed()}):\n- ${failures.join('\n- ')}`,
  );
  process.exit(1);
}
console.log(`pack-test: all ${checks} checks of the packed package hold (${elapsed()})`);
