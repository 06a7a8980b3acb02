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

/** Every file below a directory, relative, sorted. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
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
