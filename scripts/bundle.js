#!/usr/bin/env node
// npm run build, second half: the compiled CLI (dist/cli.js and what it imports, node_modules included) as one
// CommonJS file, dist/bundle/labforge.cjs, which bin/labforge.js runs through bin/bundle.js, and V8's code cache
// for it. Node 20 loads a few hundred small ES modules slowly (about 0.15 s of every command went to finding and
// compiling them), and compiling one big file still cost 30-40 ms a command: the build runs the code every command
// starts with once (warmUp in src/cli.ts) and records what V8 compiled then. Whitespace and syntax are minified
// (a third less to read; names are kept, so a --debug stack trace still names the functions). The tests import
// dist/ as tsc wrote it.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { BUNDLE, CACHE, CACHE_KEY, loadBundle } from '../bin/bundle.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
fs.rmSync(path.dirname(BUNDLE), { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist', 'cli.js')],
  outfile: BUNDLE,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // src/render/sources.ts finds the repository from its own URL; bin/bundle.js passes the bundle's (same depth).
  define: { 'import.meta.url': '__labforgeUrl' },
  minifyWhitespace: true,
  minifySyntax: true,
});
const { exports, script, key } = loadBundle({ useCache: false });
await exports.warmUp(path.join(root, 'lab.yaml'));
fs.writeFileSync(CACHE, script.createCachedData());
// The key last: a build cut short leaves no cache that looks usable.
fs.writeFileSync(CACHE_KEY, key());
