'use strict';
// Loads the CLI's bundle (dist/bundle/labforge.cjs, written by scripts/bundle.js) with the V8 code cache the build
// recorded beside it, so a command does not parse and compile 0.9 MB of JavaScript on every start. Node 20 has no
// compile cache of its own (module.enableCompileCache came in Node 22), hence one CommonJS file through vm.Script,
// and CommonJS here in bin/ too (bin/package.json): an ES module entry point costs every command about 15 ms more.
// Without a usable cache (another Node, or a bundle changed since the build) V8 compiles as usual.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const BUNDLE = path.resolve(__dirname, '..', 'dist', 'bundle', 'labforge.cjs');
/** The code cache, and beside it what it was recorded for. */
const CACHE = `${BUNDLE}.v8`;
const CACHE_KEY = `${CACHE}.json`;

/** What the cache must match: the bundle's sha256 (under a millisecond; V8 itself only compares the source's
 *  length, and an installed package's files all carry npm's timestamp), Node's version and the architecture (V8
 *  also rejects another V8, or other V8 flags). */
function cacheKey(bytes) {
  return JSON.stringify({
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    node: process.version,
    arch: process.arch,
  });
}

function readCache(bytes) {
  try {
    return fs.readFileSync(CACHE_KEY, 'utf8') === cacheKey(bytes) ? fs.readFileSync(CACHE) : undefined;
  } catch {
    return undefined;
  }
}

/** Compiles and runs the bundle as a CommonJS module: its exports (main, warmUp), the vm.Script (for
 *  createCachedData), whether V8 took the cache and the key a cache of this bundle is recorded under. `useCache:
 *  false` compiles from source. */
function loadBundle({ useCache = true } = {}) {
  let bytes;
  try {
    bytes = fs.readFileSync(BUNDLE);
  } catch {
    throw new Error(`labforge is not built: ${BUNDLE} is missing (run npm run build)`);
  }
  const cachedData = useCache ? readCache(bytes) : undefined;
  // The same wrapper at build and at run time: the cache belongs to this exact text. It keeps the bundle's first
  // line the first line, so the line numbers in a stack trace are the file's.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __labforgeUrl) {${bytes.toString('utf8')}\n})`;
  const script = new vm.Script(wrapped, { filename: BUNDLE, cachedData });
  const mod = { exports: {} };
  script.runInThisContext()(
    mod.exports,
    createRequire(BUNDLE),
    mod,
    BUNDLE,
    path.dirname(BUNDLE),
    pathToFileURL(BUNDLE).href,
  );
  return {
    exports: mod.exports,
    script,
    cacheUsed: cachedData !== undefined && !script.cachedDataRejected,
    key: () => cacheKey(bytes),
  };
}

module.exports = { BUNDLE, CACHE, CACHE_KEY, loadBundle };
