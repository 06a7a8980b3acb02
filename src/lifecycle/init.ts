// labforge init: a new lab file in a folder (made when missing), never over anything that is there. Every check runs
// before anything is made; the file is created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, through the file layer), so
// an existing file, a link (even a dangling one) or a file another process makes meanwhile is never written over.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { errnoCode, UsageError } from '../errors.js';
import { KIND_TEXT, kindOf } from '../fsguard/kinds.js';
import { FileLayer } from '../fsguard/layer.js';
import { makeUserFolder } from '../fsguard/user-files.js';
import { CONTROL } from '../lab/schema.js';
import {
  labNameFor,
  MAX_INIT_NODES,
  packageSchemaPath,
  renderGuideLab,
  renderNeutralLab,
  schemaReference,
} from '../render/lab-file.js';

/** The name of the file init writes into its folder: the file every command reads by default (--lab). */
export const INIT_FILE = 'lab.yaml';

export interface InitResult {
  /** The lab file written (absolute). */
  file: string;
  lab: string;
  /** guide: the guide's lab; neutral: N nodes without addresses. */
  kind: 'guide' | 'neutral';
  nodes: number;
  /** What its `$schema` line names. */
  schema: string;
}

/** `--nodes`: a whole number from 1 to MAX_INIT_NODES (the free addresses of the neutral lab's subnet). */
export function initNodeCount(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d{0,3}$/.test(v) || Number(v) > MAX_INIT_NODES)
    throw new UsageError(
      `init --nodes: must be a whole number from 1 to ${MAX_INIT_NODES} (the free addresses of the lab's subnet), ` +
        `got ${JSON.stringify(v)}; nothing was written`,
    );
  return Number(v);
}

/** What is at `p` (lstat, or stat: following links), or undefined when nothing is, also when a file is on the way. */
function statOf(p: string, follow = false): fs.Stats | undefined {
  try {
    return follow ? fs.statSync(p) : fs.lstatSync(p);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** The folder init writes into: missing (made with those above it), or a real folder; never a link, a file or a
 *  special file, and no file on the way to it. */
function checkFolder(dir: string): string {
  const shown = JSON.stringify(dir);
  if (dir === '' || CONTROL.test(dir))
    throw new UsageError(`init: DIR ${shown} is not a folder name; nothing was written`);
  const abs = path.resolve(dir);
  const st = statOf(abs);
  if (st?.isSymbolicLink())
    throw new UsageError(
      `init: DIR ${shown} is a symbolic link (to ${JSON.stringify(fs.readlinkSync(abs))}); give the folder itself; nothing was written`,
    );
  if (st && !st.isDirectory())
    throw new UsageError(`init: DIR ${shown} is ${KIND_TEXT[kindOf(st)]}, not a folder; nothing was written`);
  if (!st) {
    // The nearest folder above that exists must be one (a file on the way would stop the mkdir half-way).
    for (let up = path.dirname(abs); ; up = path.dirname(up)) {
      const above = statOf(up, true);
      if (above && !above.isDirectory())
        throw new UsageError(
          `init: DIR ${shown}: ${up} is ${KIND_TEXT[kindOf(above)]}, not a folder; nothing was written`,
        );
      if (above || up === path.dirname(up)) break;
    }
  }
  return abs;
}

/** Writes the guide's lab (or, with `nodes`, a neutral lab of that many nodes named after the folder) into `dir/name`
 *  (lab.yaml unless --lab names another file); refuses when anything is at that name. */
export function initLab(dir: string, nodes?: number, name = INIT_FILE): InitResult {
  const abs = checkFolder(dir);
  const file = path.join(abs, name);
  const there = statOf(file);
  const exists = (st: fs.Stats) =>
    new UsageError(
      `init: ${file} already exists (${KIND_TEXT[kindOf(st)]}); labforge init never overwrites: ` +
        'edit it, or give another folder (labforge init DIR); nothing was written',
    );
  if (there) throw exists(there);
  const schema = schemaReference(packageSchemaPath());
  const text =
    nodes === undefined ? renderGuideLab(schema) : renderNeutralLab({ name: labNameFor(abs), count: nodes, schema });
  const written = YAML.parse(text) as { name: string; nodes: unknown[] };
  makeUserFolder(abs);
  if (!FileLayer.beside(file).layer.createNew(name, text, 0o644)) {
    // Made by someone else between the check and the create: still never written over.
    throw exists(fs.lstatSync(file));
  }
  return {
    file,
    lab: written.name,
    kind: nodes === undefined ? 'guide' : 'neutral',
    nodes: written.nodes.length,
    schema,
  };
}
