// Shared test helpers: running the built CLI, temp dirs, the real tools' locations.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(ROOT, 'bin', 'labforge.js');

export function tempDir(prefix = 'labforge-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  return execa('node', [CLI, ...args], { cwd: opts.cwd ?? ROOT, env: { NO_COLOR: '1', ...opts.env }, reject: false, all: true });
}

/** Writes a lab file into a fresh directory and returns its path. */
export function writeLab(text: string, dir = tempDir()): string {
  const file = path.join(dir, 'lab.yaml');
  fs.writeFileSync(file, text);
  return file;
}

/** Every file below a directory, relative, sorted. In an output folder, the generated files are listed through their
 *  links (the render store .renders/ and the .current link are left out: their names change with every render). */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (d === dir && (e.name === '.renders' || e.name === '.current')) continue;
      const p = path.join(d, e.name);
      // Links are followed: the output folder's generated entries are links into its current render.
      if (e.isDirectory() || (e.isSymbolicLink() && fs.statSync(p, { throwIfNoEntry: false })?.isDirectory())) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Fails with a clear message when a real tool the test needs is missing (never a silent skip). */
export function requireTool(tool: string): void {
  const found = (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, tool)));
  if (!found) throw new Error(`this test needs \`${tool}\` on PATH; .ci/run installs it (apt-get install)`);
}

/** A stand-in `packer` (a bash script body) in a bin directory to put first on PATH, plus a one-node lab file beside
 *  it, for tests of how labforge drives Packer without running a real build. */
export function standInPacker(body: string): { dir: string; lab: string; env: Record<string, string> } {
  const dir = tempDir();
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'packer'), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  const lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
  // The script finds its directory in $STANDIN_DIR.
  return { dir, lab, env: { PATH: `${bin}:${process.env.PATH}`, VAGRANT_HOME: path.join(dir, 'vh'), CI: 'true', STANDIN_DIR: dir } };
}
