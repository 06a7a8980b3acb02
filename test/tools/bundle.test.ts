// bin/labforge.js runs the CLI from its bundle (dist/bundle/labforge.mjs, npm run build): the bundle holds every
// package it needs, so bin/ and dist/bundle/ with the repository's templates run without node_modules; a missing
// bundle says how to build it.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT, tempDir } from '../support.js';

/** bin/, dist/bundle/ and what a render reads (templates, guest scripts, package.json) in a folder of its own. */
function copy(): string {
  const root = tempDir('labforge-bundle-');
  for (const part of ['bin', path.join('dist', 'bundle'), 'packer', 'vagrant', 'package.json'])
    fs.cpSync(path.join(ROOT, part), path.join(root, part), { recursive: true });
  return root;
}

const labforge = (root: string, args: string[]) =>
  execa('node', [path.join(root, 'bin', 'labforge.js'), ...args], {
    reject: false,
    all: true,
    env: { LABFORGE_OFFLINE: '1' },
  });

test('the bundle alone runs the CLI: no node_modules, no dist/*.js; its render is the one the sources give', async () => {
  const root = copy();
  expect(fs.existsSync(path.join(root, 'node_modules'))).toBe(false);
  const help = await labforge(root, ['--help']);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toContain('Usage: labforge');
  const args = ['--lab', path.join(ROOT, 'lab.yaml'), '--out', path.join(tempDir(), 'out'), 'bake', '--hash'];
  const copied = await labforge(root, args);
  const repo = await labforge(ROOT, args);
  expect(copied.exitCode).toBe(0);
  expect(copied.stdout).toMatch(/^[0-9a-f]{16}$/);
  expect(copied.stdout).toBe(repo.stdout);
});

test('no bundle: exit 1 and how to build it', async () => {
  const root = copy();
  fs.rmSync(path.join(root, 'dist'), { recursive: true });
  const r = await labforge(root, ['--help']);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/^labforge: labforge is not built: .*labforge\.mjs is missing \(run npm run build\)$/);
});
