#!/usr/bin/env node
/**
 * Marks the CommonJS build as CommonJS: the package is "type": "module", so without its own package.json Node
 * would load dist/cjs/**.js as ES modules. Usage (the build does it): node scripts/cjs-package.mjs dist/cjs
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/cjs-package.mjs <CommonJS out dir>');
writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
