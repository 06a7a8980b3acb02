// The output folder (its layout: src/layout.ts): labforge writes only into a folder it owns (its claim), and every
// file it writes there is written whole (atomicWrite). renders.ts swaps a render in.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BOUNDS } from '../../bounds.js';
import { errnoCode, UsageError } from '../../errors.js';
import { FileLayer } from '../../fsguard/layer.js';
import { KIND_TEXT, kindOf } from '../../fsguard/kinds.js';
import { makeUserFolder, writeUserFile } from '../../fsguard/user-files.js';
import { readBoundedIfExists } from '../../fsguard/read.js';
import { hostPathProblem } from '../../lab/paths.js';
import { LAYOUT } from '../../layout.js';
import { damagedStateFile, isObject, readRebuildableJson, readStateJson, type StateFileKind } from './state-file.js';

export interface Manifest {
  lab: string;
  source: string;
  hash: string;
  box: string;
  files: string[];
}

/** Why `out` cannot be the output folder (exit 2, naming --out), or undefined when it is fine to use. */
export function outDirProblem(out: string, home = os.homedir()): string | undefined {
  if (out.trim() === '')
    return 'is empty; give a folder, or leave --out out for .labforge/<lab name>/ beside the lab file';
  const abs = path.resolve(out);
  // Resolved first, then checked: the folders above a relative --out reach the generated files too.
  const text = hostPathProblem(out) ?? hostPathProblem(abs);
  if (text) return `${JSON.stringify(out)}${abs !== out ? ` (${abs})` : ''} ${text}`;
  if (abs === path.parse(abs).root)
    return `${JSON.stringify(out)} is the root folder; give a folder of its own for the lab`;
  if (abs === path.resolve(home))
    return `${JSON.stringify(out)} is your home folder; give a folder of its own for the lab`;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    return `${JSON.stringify(out)} cannot be read (${errnoCode(e)})`;
  }
  if (st.isSymbolicLink()) {
    try {
      st = fs.statSync(abs);
    } catch {
      return `${JSON.stringify(out)} is a symbolic link to nothing (${fs.readlinkSync(abs)})`;
    }
  }
  if (!st.isDirectory()) return `${JSON.stringify(out)} is a file, not a folder`;
  // The claim's content is never read (its presence is the claim); anything else at its name is damage.
  const claim = fs.lstatSync(path.join(abs, LAYOUT.owner), { throwIfNoEntry: false });
  if (claim && !claim.isFile())
    throw damagedStateFile(path.join(abs, LAYOUT.owner), CLAIM, `${KIND_TEXT[kindOf(claim)]}, not a file`);
  if (owned(abs)) return undefined;
  const entries = fs.readdirSync(abs);
  if (entries.length === 0) return undefined;
  return (
    `${JSON.stringify(out)} is not empty and holds no labforge output (no ${LAYOUT.owner}); ` +
    'labforge writes only into a folder it created or an empty one ' +
    `(${entries.length} entries there, e.g. ${JSON.stringify(entries.sort()[0])})`
  );
}

/** Whether labforge owns the folder: its claim is there, or the manifest an earlier labforge wrote at the top. */
export function owned(outDir: string): boolean {
  return isFile(path.join(outDir, LAYOUT.owner)) || isFile(path.join(outDir, LAYOUT.manifest), false);
}

export function isFile(p: string, followLinks = true): boolean {
  try {
    return (followLinks ? fs.statSync(p) : fs.lstatSync(p)).isFile();
  } catch {
    return false;
  }
}

/** Takes the folder for labforge (creating it) unless it is owned already; refuses one that is not ours. */
export function claimOutDir(outDir: string, lab: string): void {
  const problem = outDirProblem(outDir);
  if (problem) throw new UsageError(`--out: ${problem}`);
  makeUserFolder(outDir);
  if (owned(outDir)) return;
  new FileLayer(outDir).write(
    LAYOUT.owner,
    `${JSON.stringify({ tool: 'labforge', lab, claimed: new Date().toISOString() }, null, 2)}\n`,
    0o644,
  );
}

/** Writes a file by rename, so a reader (or a kill) sees the old content or the new, never a part; never through a
 *  link or into a special file at that name (fsguard). */
export function atomicWrite(file: string, text: string, mode: number): void {
  writeUserFile(file, text, mode);
}

/** The output folder's file layer: every write below it goes through this (src/fsguard/layer.ts). */
export function outLayer(outDir: string): FileLayer {
  return new FileLayer(outDir);
}

/** A JSON file labforge keeps in a folder of its own, read without following a link and with a bound. */
export function readOwnJson<T>(file: string): T | undefined {
  try {
    const text = readBoundedIfExists(file, { what: 'labforge', maxBytes: BOUNDS.recordBytes.max, noFollow: true });
    return text === undefined ? undefined : (JSON.parse(text) as T);
  } catch {
    return undefined;
  }
}

const CLAIM: StateFileKind = {
  what: "labforge's claim on the output folder",
  role: 'without which labforge writes nothing into a folder that is not empty',
  recover: 'remove what is there and put back a file (its content is not read), e.g. `echo {} > FILE`',
  maxBytes: 0,
};

const MANIFEST_FILE: StateFileKind = {
  what: "the render manifest (what the lab's current render wrote: the lab, the box, its files)",
  role: 'which labforge rebuilds from the lab file',
  recover: 'run `labforge render`: it writes the manifest anew',
  maxBytes: BOUNDS.recordBytes.max,
};

function manifestProblem(m: unknown): string | undefined {
  if (!isObject(m)) return 'not a JSON object';
  for (const k of ['lab', 'source', 'hash', 'box'] as const) if (typeof m[k] !== 'string') return `"${k}" is not text`;
  if (!Array.isArray(m.files) || m.files.some((f) => typeof f !== 'string')) return '"files" is not a list of paths';
  return undefined;
}

/** The manifest of the current render (`.labforge-render.json`, a link into `.current/`), or of the render `file`
 *  names. A damaged one ends the command (exit 2, naming it), or, given `rebuilt` (what happens instead), counts as
 *  none with a note on stderr. */
export function readManifest(
  outDir: string,
  file = path.join(outDir, LAYOUT.manifest),
  rebuilt?: string,
): Manifest | undefined {
  return rebuilt === undefined
    ? readStateJson<Manifest>(file, MANIFEST_FILE, manifestProblem)
    : readRebuildableJson<Manifest>(file, MANIFEST_FILE, manifestProblem, rebuilt);
}
