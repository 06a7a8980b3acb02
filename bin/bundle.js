// Loads the CLI's bundle (dist/bundle/labforge.cjs, written by scripts/bundle.js) with the V8 code cache the build
// recorded beside it, so a command does not parse and compile 1.3 MB of JavaScript on every start (about 40 ms of a
// `labforge status`). Node 20 has no compile cache of its own for ES modules, hence one CommonJS file through
// vm.Script. Without a usable cache (another Node, or a bundle changed since) it compiles as usual.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle', 'labforge.cjs');
/** The code cache, and what it was recorded for: the bundle's size and mtime, Node's version and architecture. */
export const CACHE = `${BUNDLE}.v8`;
export const CACHE_KEY = `${CACHE}.json`;

/** What the cache must match: V8 itself only compares the source's length. */
export function cacheKey() {
  const st = fs.statSync(BUNDLE);
  return JSON.stringify({ size: st.size, mtimeMs: st.mtimeMs, node: process.version, arch: process.arch });
}

function readCache() {
  try {
    return fs.readFileSync(CACHE_KEY, 'utf8') === cacheKey() ? fs.readFileSync(CACHE) : undefined;
  } catch {
    return undefined;
  }
}

/** Compiles and runs the bundle as a CommonJS module: its exports (main, warmUp) and the vm.Script (for
 *  createCachedData). `useCache: false` compiles from source. */
export function loadBundle({ useCache = true } = {}) {
  let source;
  try {
    source = fs.readFileSync(BUNDLE, 'utf8');
  } catch {
    throw new Error(`labforge is not built: ${BUNDLE} is missing (run npm run build)`);
  }
  const cachedData = useCache ? readCache() : undefined;
  // The same wrapper at build and at run time: the cache belongs to this exact text. Kept on the bundle's first
  // line, so line numbers in stack traces are the file's.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __labforgeUrl) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: BUNDLE, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, path.dirname(BUNDLE), pathToFileURL(BUNDLE).href);
  return { exports: module.exports, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}
