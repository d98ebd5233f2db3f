#!/usr/bin/env node
/**
 * The registry this project installs from lacks some platform-specific optional packages (e.g. unrs-resolver's
 * bindings for Android, macOS and Windows, pulled in by jest 30). npm then leaves them out of
 * package-lock.json, and `npm ci` refuses the lock as "out of sync". This adds a stub entry for each missing
 * optional dependency, marked with its os/cpu so npm skips it here, as it would skip the real one.
 * Run after `npm install` changed the lock: `node scripts/complete-lockfile.mjs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;

/** Platform fields from the package name, e.g. resolver-binding-darwin-arm64 -> os darwin, cpu arm64. */
function platformOf(name) {
  const osNames = ['android', 'darwin', 'freebsd', 'linux', 'openharmony', 'win32', 'wasm32'];
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => osNames.includes(p));
  const cpu = parts.find((p) =>
    ['arm', 'arm64', 'ia32', 'x64', 'loong64', 'ppc64', 'riscv64', 's390x', 'wasm32'].includes(p),
  );
  return { ...(os && os !== 'wasm32' ? { os: [os] } : {}), ...(cpu ? { cpu: [cpu] } : {}) };
}

for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = location ? `${location}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[base] || packages[`node_modules/${name}`]) continue;
    packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platformOf(name),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} stub entr${added === 1 ? 'y' : 'ies'}`);
