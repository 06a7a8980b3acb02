// Where the repo's own template and script sources live (packer/, vagrant/), from dist/render or src/render.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function repoPath(...parts: string[]): string {
  return path.join(ROOT, ...parts);
}
