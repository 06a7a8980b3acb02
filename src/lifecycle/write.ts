// Writing a render to the output directory atomically: everything goes to a temp directory first, then each
// top-level entry is swapped in by rename, so a failed render leaves the previous output as it was.
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../lab/model.js';
import { renderLab, type Rendered } from '../render/index.js';
import type { RenderContext } from '../render/context.js';
import { ensureKey } from '../tools/ssh.js';

export const MANIFEST = '.labforge-render.json';

export interface Manifest {
  lab: string;
  source: string;
  hash: string;
  box: string;
  files: string[];
}

export function writeRender(outDir: string, rendered: Rendered, lab: Lab): void {
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(outDir, '.render-'));
  try {
    for (const [rel, text] of Object.entries(rendered.files)) {
      const file = path.join(tmp, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
    }
    const manifest: Manifest = { lab: lab.name, source: lab.source, hash: rendered.hash, box: rendered.box, files: Object.keys(rendered.files) };
    fs.writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    const tops = new Set([MANIFEST, ...Object.keys(rendered.files).map((f) => f.split('/')[0])]);
    // Generated entries of an earlier render that this one no longer has (e.g. http/ after switching method).
    const previous = readManifest(outDir);
    for (const f of previous?.files ?? []) tops.add(f.split('/')[0]);
    for (const top of [...tops].sort()) {
      const dest = path.join(outDir, top);
      const next = path.join(tmp, top);
      if (fs.existsSync(dest)) fs.renameSync(dest, path.join(tmp, `.old-${top}`));
      if (fs.existsSync(next)) fs.renameSync(next, dest);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(outDir, 'logs'), { recursive: true });
}

export function readManifest(outDir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(outDir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Renders the lab into its output directory and makes sure the lab key exists. */
export async function renderToDisk(lab: Lab, ctx: RenderContext): Promise<Rendered> {
  const rendered = renderLab(lab, ctx);
  writeRender(lab.outDir, rendered, lab);
  fs.mkdirSync(path.dirname(lab.access.sshKey), { recursive: true });
  await ensureKey(lab.access.sshKey, `labforge-${lab.name}`);
  return rendered;
}
