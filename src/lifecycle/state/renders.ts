// Writing a render into the output folder: each render is complete in a folder of its own under .renders/, and
// .current, a link to it, is replaced in one rename(2). A render killed at any point (even by SIGKILL) leaves
// .current at the old render or the new one; the next render removes what a killed one left in .renders/.
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { TEMP_NAME, type FileLayer } from '../../fsguard/layer.js';
import type { Lab } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { renderLab, type Rendered } from '../../render/index.js';
import type { RenderContext } from '../../render/context.js';
import { ensureKey } from '../../tools/ssh.js';
import { writeAddressRecord } from './addresses.js';
import { registerLab } from './registry.js';
import { refuseUnexpected, type StateFileKind } from './state-file.js';
import { claimOutDir, outLayer, readManifest, type Manifest } from './outdir.js';

const { current: CURRENT, manifest: MANIFEST, renders: RENDERS } = LAYOUT;

/** The folders Packer writes in a render's packer/ (render/packer.ts PACKER_BAKE): box/ and the disk's build/. */
const PACKER_OUTPUTS = [`${LAYOUT.packer}/box`, `${LAYOUT.packer}/build`];

const CURRENT_LINK: StateFileKind = {
  what: 'the link to the render in use',
  role: 'which labforge makes as a symbolic link into .renders/',
  recover: 'remove it; `labforge render` makes it again',
  maxBytes: 0,
};

const topEntry = (rel: string) => rel.split('/')[0];

/** The render .current points at (a name under .renders/), if any. */
function currentRender(out: FileLayer): string | undefined {
  const target = out.readLink(CURRENT);
  return target === undefined ? undefined : path.basename(target);
}

/** `rel` inside the current render, as a path below the output folder that holds no link (`.renders/<id>/rel`),
 *  for the file layer; undefined when there is no current render. */
export function inCurrentRender(outDir: string, rel: string): string | undefined {
  const id = currentRender(outLayer(outDir));
  return id === undefined ? undefined : `${RENDERS}/${id}/${rel}`;
}

/** Removes one render folder under .renders/ from its record: the files its manifest lists and the manifest. */
function removeRender(out: FileLayer, name: string): void {
  const rel = `${RENDERS}/${name}`;
  const st = out.stat(rel);
  if (!st) return;
  if (!st.isDirectory()) {
    out.remove(rel); // a file or link a killed labforge (or someone) left: the entry itself, never its target
    return;
  }
  const manifest = readManifest(
    out.root,
    path.join(out.root, rel, MANIFEST),
    `the files of ${rel} stay where they are (labforge removes only what a manifest lists): remove them by hand`,
  );
  const files = (manifest?.files ?? []).filter((f) => typeof f === 'string');
  // What labforge told Packer to write there (a failed bake leaves them): the folders named in PACKER_BAKE.
  for (const tool of PACKER_OUTPUTS) out.removeToolOutput(`${rel}/${tool}`);
  out.removeRecorded(rel, [...files, MANIFEST]);
}

/** What killed renders left: renders that are not current, half-made links and temp files. */
function removeLeftovers(out: FileLayer): void {
  const keep = currentRender(out);
  for (const name of out.list(RENDERS)) if (name !== keep) removeRender(out, name);
  for (const name of out.list('')) {
    // `.current.tmp-*`: a link labforge 0.1 made but did not rename; temp files of the file layer.
    if (name.startsWith(`${CURRENT}.tmp-`) || TEMP_NAME.test(name)) out.remove(name);
  }
}

/** labforge 0.1 wrote its files straight into the folder: move exactly what its manifest lists out of the way. */
function moveLegacyRender(out: FileLayer): void {
  const st = out.stat(MANIFEST);
  if (!st || st.isSymbolicLink()) return;
  const manifest = readManifest(
    out.root,
    undefined,
    'only the manifest is moved aside (labforge moves only what a manifest lists)',
  );
  const away = out.mkdirUnique(RENDERS, 'legacy-');
  for (const name of new Set([...(manifest?.files ?? []).map(topEntry), MANIFEST])) {
    const entry = out.stat(name);
    if (entry && !entry.isSymbolicLink()) out.rename(name, `${away}/${name}`);
  }
}

export interface WriteHooks {
  /** Called before each step of the write and swap, one call per file and link (tests kill the process there). */
  step?: (name: string) => void;
}

/** Writes a render into the owned output folder and makes it current in one rename. */
export function writeRender(outDir: string, rendered: Rendered, lab: Lab, hooks: WriteHooks = {}): void {
  const step = hooks.step ?? (() => {});
  claimOutDir(outDir, lab.name);
  const out = outLayer(outDir);
  refuseUnexpected(path.join(outDir, CURRENT), CURRENT_LINK, ['link']);
  out.mkdir(RENDERS);
  step('clean');
  removeLeftovers(out);
  moveLegacyRender(out);
  const previous = readManifest(
    outDir,
    undefined,
    'this render writes it anew (links to files only the old render had stay: remove them by hand)',
  );
  const oldRender = currentRender(out);

  step('mkdir');
  const dir = out.mkdirUnique(RENDERS, 'r-');
  const manifest: Manifest = {
    lab: lab.name,
    source: lab.source,
    hash: rendered.hash,
    box: rendered.box,
    files: Object.keys(rendered.files),
  };
  // The manifest first: it is the record of what this folder holds, which is all a later render deletes of it.
  out.write(`${dir}/${MANIFEST}`, `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
  for (const [rel, text] of Object.entries(rendered.files)) {
    step('write');
    out.write(`${dir}/${rel}`, text, rel.endsWith('.sh') || rel === LAYOUT.inventory ? 0o755 : 0o644);
  }

  // The links at the topEntry point into .current, so they are right before and after the swap.
  const tops = [...new Set([MANIFEST, ...manifest.files.map(topEntry)])].sort();
  for (const name of tops) {
    step('link');
    const target = path.join(CURRENT, name);
    const st = out.stat(name);
    if (st?.isSymbolicLink() && out.readLink(name) === target) continue;
    if (st)
      throw new UsageError(
        `--out: ${path.join(outDir, name)} exists and is not a link labforge made; move it away (labforge replaces only what it wrote)`,
      );
    out.link(target, name);
  }

  step('swap');
  out.link(path.join(RENDERS, path.basename(dir)), CURRENT);

  step('tidy');
  if (oldRender && oldRender !== path.basename(dir)) removeRender(out, oldRender);
  // Links of entries an earlier render had and this one has not (http/ after switching method...).
  for (const name of new Set((previous?.files ?? []).map(topEntry))) {
    if (tops.includes(name)) continue;
    if (out.readLink(name) === path.join(CURRENT, name)) out.remove(name);
  }
  out.mkdir(LAYOUT.logs);
  step('done');
}

/** The secrets folder, 0700, a real folder (never a link); returns its layer path. */
function secretsFolder(out: FileLayer): void {
  out.mkdir(LAYOUT.secrets, 0o700);
  out.chmod(LAYOUT.secrets, 0o700);
}

/** The root password lives in its own 0600 file under the 0700 secrets folder, never in the Vagrantfile. */
export function writeSecrets(lab: Lab): void {
  const out = outLayer(lab.outDir);
  if (lab.access.rootPassword === undefined) {
    if (out.stat(LAYOUT.secrets)) out.remove(LAYOUT.rootPassword);
    return;
  }
  secretsFolder(out);
  out.write(LAYOUT.rootPassword, `${lab.access.rootPassword}\n`, 0o600);
}

/** labforge 0.1 kept the lab key at <out>/id_ed25519: it moves into the secrets folder. */
function moveLegacyKey(lab: Lab, out: FileLayer): void {
  if (!lab.access.ownKey || out.stat(LAYOUT.labKey)) return;
  const isFile = (rel: string) => out.stat(rel)?.isFile() === true;
  if (!isFile('id_ed25519') || !isFile('id_ed25519.pub')) return;
  secretsFolder(out);
  out.rename('id_ed25519.pub', `${LAYOUT.labKey}.pub`);
  out.rename('id_ed25519', LAYOUT.labKey);
}

/** Renders the lab into its output folder, writes its secrets and makes sure the lab key exists. */
export async function renderToDisk(lab: Lab, ctx: RenderContext): Promise<Rendered> {
  const rendered = renderLab(lab, ctx);
  writeRender(lab.outDir, rendered, lab);
  writeAddressRecord(lab);
  registerLab(lab);
  writeSecrets(lab);
  if (lab.access.ownKey) {
    const out = outLayer(lab.outDir);
    moveLegacyKey(lab, out);
    secretsFolder(out);
    // ssh-keygen writes the key by its path: nothing may be at either name but a regular file of ours.
    for (const rel of [LAYOUT.labKey, `${LAYOUT.labKey}.pub`]) {
      const st = out.stat(rel);
      if (st && !st.isFile())
        throw new UsageError(
          `--out: ${path.join(lab.outDir, rel)} is not a regular file; labforge never writes through it`,
        );
    }
    await ensureKey(lab.access.sshKey, `labforge-${lab.name}`);
  }
  return rendered;
}
