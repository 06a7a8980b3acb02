// The repo's own sources of generated files (packer/, vagrant/): where they are, seen from src/render under ts-jest
// and from dist/render when compiled, and their text, read once per process. Templates are ejs; a template gets
// every lab value already escaped by the function for its language (src/render/escape.ts), passed in by the caller.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function repoPath(...parts: string[]): string {
  return path.join(ROOT, ...parts);
}

const texts = new Map<string, string>();

/** The text of a file under the repo root (a guest script, a template, ...), read once. */
export function repoFile(...parts: string[]): string {
  const file = repoPath(...parts);
  let text = texts.get(file);
  if (text === undefined) {
    text = fs.readFileSync(file, 'utf8');
    texts.set(file, text);
  }
  return text;
}

const templates = new Map<string, ejs.TemplateFunction>();

/** Renders the ejs template at a repo path (compiled once) with `data`. */
export function renderTemplate(parts: string[], data: ejs.Data): string {
  const file = repoPath(...parts);
  let template = templates.get(file);
  if (template === undefined) {
    template = ejs.compile(repoFile(...parts), { filename: file });
    templates.set(file, template);
  }
  return template(data);
}
