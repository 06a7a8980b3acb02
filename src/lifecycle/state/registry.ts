// The labs of this user on this host: a list of output folders in $XDG_STATE_HOME/labforge/labs.json
// (~/.local/state/labforge/labs.json), added to at every render. `labforge ls` reads it with each folder's
// ownership record; the management subnet chooser reads the subnets of the other labs in it. The folders are the
// truth: an entry whose folder labforge no longer owns is dropped.
import os from 'node:os';
import path from 'node:path';
import { makeUserFolder } from '../../fsguard/user-files.js';
import type { Lab } from '../../lab/model.js';
import { CIDR } from '../../lab/schema.js';
import { atomicWrite, owned } from './outdir.js';
import { readSmallJson } from './addresses.js';

export interface RegisteredLab {
  /** The output folder (absolute). */
  outDir: string;
  lab: string;
  /** The lab file it was rendered from. */
  labFile: string;
  uri: string;
  /** The lab's two subnets as last rendered. */
  network: string;
  management: string;
  /** When it was last rendered (ISO time). */
  renderedAt: string;
}

/** $XDG_STATE_HOME/labforge/labs.json, or ~/.local/state/labforge/labs.json. */
export function registryFile(): string {
  const base = process.env.XDG_STATE_HOME || path.join(process.env.HOME ?? os.homedir(), '.local', 'state');
  return path.join(base, 'labforge', 'labs.json');
}

const isEntry = (e: unknown): e is RegisteredLab => {
  const r = e as Partial<RegisteredLab>;
  return (
    typeof r?.outDir === 'string' &&
    path.isAbsolute(r.outDir) &&
    typeof r.lab === 'string' &&
    typeof r.labFile === 'string' &&
    typeof r.uri === 'string' &&
    typeof r.network === 'string' &&
    CIDR.test(r.network) &&
    typeof r.management === 'string' &&
    CIDR.test(r.management) &&
    typeof r.renderedAt === 'string'
  );
};

/** The registered labs whose folders labforge still owns, sorted by folder. */
export function readRegistry(): RegisteredLab[] {
  const raw = readSmallJson(registryFile()) as { labs?: unknown } | undefined;
  const labs = Array.isArray(raw?.labs) ? raw.labs.filter(isEntry) : [];
  return labs.filter((l) => owned(l.outDir)).sort((a, b) => a.outDir.localeCompare(b.outDir));
}

/** Adds or updates the lab's entry (a failure to write the registry never fails a render: it is said on stderr). */
export function registerLab(lab: Lab, now = new Date()): void {
  const entry: RegisteredLab = {
    outDir: lab.outDir,
    lab: lab.name,
    labFile: lab.source,
    uri: lab.host.uri,
    network: lab.network.subnet.cidr,
    management: lab.management.subnet.cidr,
    renderedAt: now.toISOString(),
  };
  const file = registryFile();
  try {
    const labs = readRegistry().filter((l) => l.outDir !== lab.outDir);
    labs.push(entry);
    labs.sort((a, b) => a.outDir.localeCompare(b.outDir));
    makeUserFolder(path.dirname(file), 0o700);
    atomicWrite(file, `${JSON.stringify({ version: 1, labs }, null, 2)}\n`, 0o600);
  } catch (e) {
    console.error(`labforge: warning: could not record lab ${lab.name} in ${file} (${(e as Error).message})`);
  }
}
