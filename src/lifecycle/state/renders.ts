// Writing a render into the output folder: each render is complete in a folder of its own under .renders/, and
// .current, a link to it, is replaced in one rename(2). A render killed at any point (even by SIGKILL) leaves
// .current at the old render or the new one; the next render removes what a killed one left in .renders/.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { Lab } from '../../lab/model.js';
import { LAYOUT } from '../../layout.js';
import { renderLab, type Rendered } from '../../render/index.js';
import type { RenderContext } from '../../render/context.js';
import { ensureKey } from '../../tools/ssh.js';
import { atomicWrite, claimOutDir, isFile, readManifest, type Manifest } from './outdir.js';

const { current: CURRENT, manifest: MANIFEST, renders: RENDERS } = LAYOUT;

const topEntry = (rel: string) => rel.split('/')[0];

/** The render .current points at (a name under .renders/), if any. */
function currentRender(outDir: string): string | undefined {
  try {
    return path.basename(fs.readlinkSync(path.join(outDir, CURRENT)));
  } catch {
    return undefined;
  }
}

/** What killed renders left: renders that are not current, half-made links. */
function removeLeftovers(outDir: string): void {
  const keep = currentRender(outDir);
  const renders = path.join(outDir, RENDERS);
  for (const name of fs.existsSync(renders) ? fs.readdirSync(renders) : [])
    if (name !== keep) fs.rmSync(path.join(renders, name), { recursive: true, force: true });
  for (const name of fs.readdirSync(outDir)) {
    // `.current.tmp-*`: a link a killed render made but did not rename; `.render-*`: temp folders of labforge 0.1.
    if (
      name.startsWith(`${CURRENT}.tmp-`) ||
      /^\.render-[A-Za-z0-9]{6}$/.test(name) ||
      /\.tmp-\d+-[0-9a-f]{8}$/.test(name)
    )
      fs.rmSync(path.join(outDir, name), { recursive: true, force: true });
  }
}

/** labforge 0.1 wrote its files straight into the folder: move exactly what its manifest lists out of the way. */
function moveLegacyRender(outDir: string): void {
  const legacy = path.join(outDir, MANIFEST);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(legacy);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) return;
  const manifest = readManifest(outDir);
  const away = fs.mkdtempSync(path.join(outDir, RENDERS, 'legacy-'));
  for (const name of new Set([...(manifest?.files ?? []).map(topEntry), MANIFEST])) {
    const p = path.join(outDir, name);
    if (fs.existsSync(p) && !fs.lstatSync(p).isSymbolicLink()) fs.renameSync(p, path.join(away, name));
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
  fs.mkdirSync(path.join(outDir, RENDERS), { recursive: true });
  step('clean');
  removeLeftovers(outDir);
  moveLegacyRender(outDir);
  const previous = readManifest(outDir);
  const oldRender = currentRender(outDir);

  step('mkdir');
  const dir = fs.mkdtempSync(path.join(outDir, RENDERS, 'r-'));
  fs.chmodSync(dir, 0o755);
  for (const [rel, text] of Object.entries(rendered.files)) {
    step('write');
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: rel.endsWith('.sh') || rel === LAYOUT.inventory ? 0o755 : 0o644 });
  }
  const manifest: Manifest = {
    lab: lab.name,
    source: lab.source,
    hash: rendered.hash,
    box: rendered.box,
    files: Object.keys(rendered.files),
  };
  fs.writeFileSync(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);

  // The links at the topEntry point into .current, so they are right before and after the swap.
  const tops = [...new Set([MANIFEST, ...manifest.files.map(topEntry)])].sort();
  for (const name of tops) {
    step('link');
    const link = path.join(outDir, name);
    const target = path.join(CURRENT, name);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(link);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink() && fs.readlinkSync(link) === target) continue;
    if (st)
      throw new UsageError(
        `--out: ${link} exists and is not a link labforge made; move it away (labforge replaces only what it wrote)`,
      );
    fs.symlinkSync(target, link);
  }

  step('swap');
  const next = path.join(outDir, `${CURRENT}.tmp-${process.pid}`);
  fs.rmSync(next, { force: true });
  fs.symlinkSync(path.join(RENDERS, path.basename(dir)), next);
  fs.renameSync(next, path.join(outDir, CURRENT));

  step('tidy');
  if (oldRender && oldRender !== path.basename(dir))
    fs.rmSync(path.join(outDir, RENDERS, oldRender), { recursive: true, force: true });
  // Links of entries an earlier render had and this one has not (http/ after switching method...).
  for (const name of new Set((previous?.files ?? []).map(topEntry))) {
    if (tops.includes(name)) continue;
    const link = path.join(outDir, name);
    if (
      fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() &&
      fs.readlinkSync(link) === path.join(CURRENT, name)
    )
      fs.rmSync(link);
  }
  fs.mkdirSync(path.join(outDir, LAYOUT.logs), { recursive: true });
  step('done');
}

/** The root password lives in its own 0600 file under the 0700 secrets folder, never in the Vagrantfile. */
export function writeSecrets(lab: Lab): void {
  const dir = path.join(lab.outDir, LAYOUT.secrets);
  const file = path.join(lab.outDir, LAYOUT.rootPassword);
  if (lab.access.rootPassword === undefined) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  atomicWrite(file, `${lab.access.rootPassword}\n`, 0o600);
}

/** labforge 0.1 kept the lab key at <out>/id_ed25519: it moves into the secrets folder. */
function moveLegacyKey(lab: Lab): void {
  if (!lab.access.ownKey || fs.existsSync(lab.access.sshKey)) return;
  const legacy = path.join(lab.outDir, 'id_ed25519');
  if (!isFile(legacy, false) || !isFile(`${legacy}.pub`, false)) return;
  fs.mkdirSync(path.dirname(lab.access.sshKey), { recursive: true, mode: 0o700 });
  fs.renameSync(`${legacy}.pub`, `${lab.access.sshKey}.pub`);
  fs.renameSync(legacy, lab.access.sshKey);
}

/** Renders the lab into its output folder, writes its secrets and makes sure the lab key exists. */
export async function renderToDisk(lab: Lab, ctx: RenderContext): Promise<Rendered> {
  const rendered = renderLab(lab, ctx);
  writeRender(lab.outDir, rendered, lab);
  writeSecrets(lab);
  if (lab.access.ownKey) {
    moveLegacyKey(lab);
    fs.mkdirSync(path.dirname(lab.access.sshKey), { recursive: true, mode: 0o700 });
    fs.chmodSync(path.dirname(lab.access.sshKey), 0o700);
    await ensureKey(lab.access.sshKey, `labforge-${lab.name}`);
  }
  return rendered;
}
