// What a provisioning step's result depends on, as one sha256: its kind and settings, and the bytes of every file it
// reads (a script, a copied file or folder, a playbook and the folder it sits in). Files are read as docs/safety.md
// says: never following a link below the folder the step names, regular files only, bounded.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BOUNDS } from '../../bounds.js';
import { UsageError } from '../../errors.js';
import { hashFile } from '../../fsguard/read.js';
import { kindOf } from '../../fsguard/kinds.js';
import type { Lab, ProvisionStep } from '../../lab/model.js';

/** A step's inputs that are not usable (a link inside a copied folder, a file that went away): exit 2. */
export class ProvisionInputError extends UsageError {}

interface TreeEntry {
  rel: string;
  kind: string;
  /** A file's sha256 and mode, a link's target. */
  detail: string;
}

/**
 * Every entry of the tree at `root` (itself a file or a folder), in a stable order, never following a link.
 * `strict`: a link, FIFO, device or socket is refused (a copy would follow or block on it); otherwise it is
 * recorded by its kind (and a link by its target) without being opened. `skip`: folders left out (the lab's output
 * folder, `.git`).
 */
async function walk(
  root: string,
  opts: { what: string; strict: boolean; skip: (abs: string, name: string) => boolean },
): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  let bytes = 0;
  const visit = async (abs: string, rel: string): Promise<void> => {
    const st = fs.lstatSync(abs);
    const kind = kindOf(st);
    if (out.length >= BOUNDS.provisionFiles.max)
      throw new ProvisionInputError(
        `${opts.what}: ${JSON.stringify(root)} holds more than ${BOUNDS.provisionFiles.max} entries`,
      );
    if (kind === 'file') {
      bytes += st.size;
      if (bytes > BOUNDS.provisionBytes.max)
        throw new ProvisionInputError(
          `${opts.what}: ${JSON.stringify(root)} holds more than ${BOUNDS.provisionBytes.max} bytes`,
        );
      const { sha256 } = await hashFile(abs, { what: opts.what, maxBytes: BOUNDS.provisionBytes.max, noFollow: true });
      out.push({ rel, kind, detail: `${sha256} ${(st.mode & 0o7777).toString(8)}` });
      return;
    }
    if (kind === 'folder') {
      out.push({ rel, kind, detail: (st.mode & 0o7777).toString(8) });
      for (const name of fs.readdirSync(abs).sort()) {
        const child = path.join(abs, name);
        if (opts.skip(child, name)) continue;
        await visit(child, rel === '' ? name : `${rel}/${name}`);
      }
      return;
    }
    if (opts.strict)
      throw new ProvisionInputError(
        `${opts.what}: ${JSON.stringify(abs)} is ${kind === 'link' ? 'a symbolic link' : `a ${kind}`}; ` +
          'a copied folder may hold only files and folders (copy the file it names instead)',
      );
    out.push({ rel, kind, detail: kind === 'link' ? fs.readlinkSync(abs) : '' });
  };
  await visit(root, '');
  return out;
}

/** The sha256 of what a step is and reads. Throws ProvisionInputError (exit 2) naming the field for an input that
 *  cannot be used. */
export async function stepInputs(lab: Lab, step: ProvisionStep): Promise<string> {
  const h = crypto.createHash('sha256');
  const add = (...parts: string[]) => {
    for (const p of parts) h.update(`${p.length}:${p}\n`);
  };
  const what = `${step.field}`;
  const gone = (e: unknown) =>
    new ProvisionInputError(
      `${what}: ${JSON.stringify(step.kind === 'shell' ? '' : step.path)} cannot be read (${(e as Error).message})`,
    );
  try {
    switch (step.kind) {
      case 'shell':
        add('shell', step.command);
        break;
      case 'script': {
        const { sha256 } = await hashFile(step.file, { what, maxBytes: BOUNDS.provisionBytes.max });
        add('script', sha256);
        break;
      }
      case 'copy': {
        add('copy', step.dest, step.mode ?? '', step.owner ?? '');
        for (const e of await walk(step.file, { what, strict: true, skip: () => false })) add(e.rel, e.kind, e.detail);
        break;
      }
      case 'playbook': {
        // A playbook reads what its folder holds (roles/, templates/, group_vars/, files/): the whole folder counts,
        // apart from the lab's output folder and dot-folders (.git, .labforge).
        const { sha256 } = await hashFile(step.file, { what, maxBytes: BOUNDS.provisionBytes.max });
        add('playbook', path.basename(step.file), sha256);
        const skip = (abs: string, name: string) => name.startsWith('.') || abs === lab.outDir;
        for (const e of await walk(path.dirname(step.file), { what, strict: false, skip }))
          add(e.rel, e.kind, e.detail);
        break;
      }
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw gone(e);
  }
  return h.digest('hex');
}
