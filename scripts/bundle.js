#!/usr/bin/env node
// npm run build, second half: the compiled CLI (dist/cli.js and what it imports, node_modules included) as one ES
// module, dist/bundle/labforge.mjs, which bin/labforge.js runs: Node 20 loads a few hundred small ES modules
// slowly, one file fast (npm run bench compares the two). Whitespace and syntax are minified (less to read; names
// are kept, so a --debug stack trace still names the functions). The tests import dist/ as tsc wrote it.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const outfile = path.join(root, 'dist', 'bundle', 'labforge.mjs');
fs.rmSync(path.dirname(outfile), { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist', 'cli.js')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // The CommonJS packages inside (commander, ...) require Node's own modules.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
});
