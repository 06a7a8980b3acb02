#!/usr/bin/env node
// The labforge command: the compiled CLI, bundled into one file (npm run build; scripts/bundle.js). Where Node keeps
// compiled code between runs (module.enableCompileCache, Node >= 22.1), the bundle's is kept in the user's cache
// folder (as Packer's downloads are), not in a /tmp folder every user shares; Node 20 compiles it on every start.
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
module.enableCompileCache?.(process.env.NODE_COMPILE_CACHE || path.join(cacheHome, 'labforge', 'node-compile-cache'));
const bundle = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle', 'labforge.mjs');
let cli;
try {
  cli = await import(pathToFileURL(bundle).href);
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes(bundle)) throw e;
  console.error(`labforge: labforge is not built: ${bundle} is missing (run npm run build)`);
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
