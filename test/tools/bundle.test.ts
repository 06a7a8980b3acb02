// bin/bundle.js: the CLI runs from one bundle with the V8 code cache the build recorded; a cache that does not fit
// (the bundle changed, a cut-off file) is left out and V8 compiles as usual; a missing bundle says how to build it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT, tempDir } from '../support.js';

/** Asks bin/bundle.js (of `root`) in a plain Node process whether V8 took the code cache. */
async function cacheUsed(root: string): Promise<string> {
  const loader = path.join(root, 'bin', 'bundle.js');
  const r = await execa('node', ['-e', `console.log(require(${JSON.stringify(loader)}).loadBundle().cacheUsed)`], {
    reject: false,
    all: true,
  });
  return r.all.trim();
}

/** A copy of bin/ and dist/bundle/ in a folder of its own. */
function copy(): string {
  const root = tempDir('labforge-bundle-');
  fs.cpSync(path.join(ROOT, 'bin'), path.join(root, 'bin'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist', 'bundle'), path.join(root, 'dist', 'bundle'), { recursive: true });
  return root;
}

const help = (root: string) =>
  execa('node', [path.join(root, 'bin', 'labforge.js'), '--help'], { reject: false, all: true });

/** The cache of `root` is left out, and its CLI still answers --help with `text`. */
async function expectCompiledFromSource(root: string, text: string): Promise<void> {
  expect(await cacheUsed(root)).toBe('false');
  const r = await help(root);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toContain(text);
}

test("the build's code cache is taken by this Node", async () => {
  expect(await cacheUsed(ROOT)).toBe('true');
  const key = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'bundle', 'labforge.cjs.v8.json'), 'utf8'));
  expect(key).toEqual({
    node: process.version,
    arch: process.arch,
    sha256: crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(ROOT, 'dist', 'bundle', 'labforge.cjs')))
      .digest('hex'),
  });
  // The warm-up loads the repository's lab.yaml with an output folder beside it, and must not create it.
  expect(fs.existsSync(path.join(ROOT, '.labforge-warm-up'))).toBe(false);
});

test('a copy still takes the cache, whatever its timestamps (npm gives an installed package its own)', async () => {
  const root = copy();
  for (const f of fs.readdirSync(path.join(root, 'dist', 'bundle')))
    fs.utimesSync(
      path.join(root, 'dist', 'bundle', f),
      new Date('1985-10-26T08:15:00Z'),
      new Date('1985-10-26T08:15:00Z'),
    );
  expect(await cacheUsed(root)).toBe('true');
});

test('a bundle changed since the build: the cache is left out and the CLI still runs', async () => {
  const root = copy();
  const bundle = path.join(root, 'dist', 'bundle', 'labforge.cjs');
  // Same length, other text: V8 alone (which compares only the length) would take the cache.
  const text = fs.readFileSync(bundle, 'utf8');
  fs.writeFileSync(bundle, text.replace('Turn one lab file into', 'Make one lab file into'));
  expect(fs.statSync(bundle).size).toBe(text.length);
  await expectCompiledFromSource(root, 'Make one lab file into');
});

test('a cut-off cache file: V8 rejects it and the CLI still runs', async () => {
  const root = copy();
  const cache = path.join(root, 'dist', 'bundle', 'labforge.cjs.v8');
  fs.truncateSync(cache, Math.floor(fs.statSync(cache).size / 2));
  await expectCompiledFromSource(root, 'Usage: labforge');
});

test('no bundle: exit 1 and how to build it', async () => {
  const root = copy();
  fs.rmSync(path.join(root, 'dist'), { recursive: true });
  const r = await help(root);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/^labforge: labforge is not built: .*labforge\.cjs is missing \(run npm run build\)$/);
});
