#!/usr/bin/env node
// npm run build, second half: the compiled CLI (dist/cli.js and what it imports, node_modules included) as one
// bundle in dist/bundle/, which bin/labforge.js runs. Node 20 loads a few hundred small ES modules slowly: about
// 0.15 s of every command went to finding and compiling them. The commands stay a chunk of their own, loaded only
// when a command runs (`--help` does not load them). The tests import dist/ as tsc wrote it.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// A fresh folder: each build names its chunks by their hash, and old ones would pile up beside them.
fs.rmSync(path.join(root, 'dist', 'bundle'), { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist', 'cli.js')],
  outdir: path.join(root, 'dist', 'bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Some dependencies are CommonJS and call require(): give the bundle one.
  banner: { js: "import { createRequire as labforgeCreateRequire } from 'node:module'; const require = labforgeCreateRequire(import.meta.url);" },
});
