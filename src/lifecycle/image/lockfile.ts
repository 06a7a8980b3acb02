// lab.lock: the lab's base image pinned to an exact URL and checksum, and what the last bake used (Packer and its
// plugins, the bake hash, the box). It sits beside the lab file (lab.yaml -> lab.lock) and is meant to be committed:
// the same lab file and lock give the same recipe and the same box name on every machine.
//
// `labforge lock` resolves the image from Fedora's own indexes (releases.json, then the release's CHECKSUM file on
// the mirror, then in the archive); `bake` uses the lock when it fits the lab file and writes it when there is none.
import fs from 'node:fs';
import path from 'node:path';
import {
  catalogueImage,
  checksumFilesIn,
  fromChecksumFile,
  fromReleasesJson,
  releaseDir,
  type ResolvedImage,
} from '../../lab/fedora.js';
import type { Lab } from '../../lab/model.js';
import { HttpError, ResolveError, UsageError } from '../../errors.js';
import { getText } from '../../tools/http.js';
import { atomicWrite } from '../state/outdir.js';

export interface LockedImage {
  method: 'cloud' | 'iso';
  /** The release and (resolved) compose; absent for an image the lab file names by URL or path. */
  release?: number;
  compose?: string;
  url: string;
  checksum: string;
  /** Where the facts came from: releases.json, a CHECKSUM file's URL, "lab file", "local file". */
  from: string;
  /** The mirror the URL is on (resolved images only). */
  mirror?: string;
}

export interface LabLock {
  /** Written by labforge; the format's version. */
  lockfile: 1;
  image: LockedImage;
  bake?: {
    hash: string;
    box: string;
    packer: string;
    plugins: Record<string, string>;
  };
}

/** lab.yaml -> lab.lock, beside it. */
export function lockPath(lab: Lab): string {
  const file = lab.source;
  return path.join(path.dirname(file), `${path.basename(file).replace(/\.(ya?ml|json)$/i, '')}.lock`);
}

export function readLock(lab: Lab): LabLock | undefined {
  const file = lockPath(lab);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const lock = JSON.parse(text) as LabLock;
    if (lock?.lockfile !== 1 || typeof lock.image?.url !== 'string' || typeof lock.image?.checksum !== 'string')
      throw new Error('not a labforge lock file');
    return lock;
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}; remove it or run \`labforge lock --update\``);
  }
}

export function writeLock(lab: Lab, lock: LabLock): string {
  const file = lockPath(lab);
  atomicWrite(file, `${JSON.stringify(lock, null, 2)}\n`, 0o644);
  return file;
}

/** Why a lock does not pin the image the lab file asks for (so it must be resolved again), or undefined. */
export function misfit(lab: Lab, lock: LabLock): string | undefined {
  const want = lab.image;
  const got = lock.image;
  if (want.local !== undefined)
    return got.from === 'local file' ? undefined : 'the lab file now bakes from image.local';
  if (got.method !== want.method) return `it pins the ${got.method} method, the lab file asks for ${want.method}`;
  if (want.url !== undefined)
    return got.url === want.url && got.checksum === want.checksum
      ? undefined
      : 'the lab file names another image.url or image.checksum';
  if (got.from === 'lab file') return 'the lab file no longer names image.url';
  if (got.release !== want.release) return `it pins release ${got.release}, the lab file asks for ${want.release}`;
  if (want.compose !== undefined && got.compose !== want.compose)
    return `it pins compose ${got.compose}, the lab file asks for ${want.compose}`;
  if (got.mirror !== want.mirror) return `it pins an image on ${got.mirror}, the lab file's mirror is ${want.mirror}`;
  return undefined;
}

/** The lock entry for an image the lab file names itself (URL and checksum), or undefined. */
export function givenImage(lab: Lab, localSha256?: string): LockedImage | undefined {
  if (lab.image.local !== undefined) {
    if (!localSha256) throw new Error('the sha256 of image.local is needed to lock it');
    return {
      method: 'cloud',
      url: path.relative(path.dirname(lab.source), lab.image.local) || lab.image.local,
      checksum: `sha256:${localSha256}`,
      from: 'local file',
    };
  }
  if (lab.image.url !== undefined)
    return { method: lab.image.method, url: lab.image.url, checksum: lab.image.checksum!, from: 'lab file' };
  return undefined;
}

function locked(lab: Lab, r: ResolvedImage): LockedImage {
  return {
    method: lab.image.method,
    release: lab.image.release,
    compose: r.compose,
    url: r.url,
    checksum: r.checksum,
    from: r.from,
    mirror: lab.image.mirror,
  };
}

/** The image from what this labforge release knows (no network), or undefined for a release it does not know. */
export function catalogued(lab: Lab): LockedImage | undefined {
  const r = catalogueImage(lab.image.release, lab.image.method, lab.image.mirror, lab.image.compose);
  return r && locked(lab, r);
}

/** Asks Fedora: releases.json, then the newest CHECKSUM file of the release on the mirror, then in the archive. */
export async function resolveImage(lab: Lab, note: (line: string) => void = () => {}): Promise<LockedImage> {
  const { release, method, compose, mirror, archive, index } = lab.image;
  const what = `Fedora ${release}'s ${method === 'cloud' ? 'Cloud Base Generic image' : 'netinst ISO'}${compose ? ` (compose ${compose})` : ''}`;
  if (process.env.LABFORGE_OFFLINE)
    throw new ResolveError(`LABFORGE_OFFLINE is set, so labforge does not ask Fedora's servers for ${what}`, 1);
  const tried: string[] = [];
  let unreachable = 0;
  const attempt = async <T>(fn: () => Promise<T | undefined>, miss: string): Promise<T | undefined> => {
    try {
      const r = await fn();
      if (r === undefined) tried.push(miss);
      return r;
    } catch (e) {
      if (e instanceof HttpError && e.status === undefined) unreachable++;
      tried.push((e as Error).message);
      return undefined;
    }
  };
  note(`reading ${index}`);
  const fromIndex = await attempt(
    async () => fromReleasesJson(JSON.parse(await getText(index)), release, method, mirror, compose),
    `${index} lists no ${what}`,
  );
  if (fromIndex) return locked(lab, fromIndex);
  for (const base of [mirror, archive]) {
    const dir = releaseDir(base, release, method);
    note(`looking for CHECKSUM files in ${dir}/`);
    const r = await attempt(async () => {
      const files = checksumFilesIn(await getText(`${dir}/`), release, method, compose);
      if (files.length === 0) return undefined;
      const url = `${dir}/${files[0]}`;
      return fromChecksumFile(await getText(url), url, release, method, compose);
    }, `${dir}/ has no CHECKSUM file naming ${what}`);
    if (r) return locked(lab, r);
  }
  const list = tried.map((t) => `  - ${t}`).join('\n');
  if (unreachable === tried.length)
    throw new ResolveError(
      `cannot reach Fedora's servers to resolve ${what}:\n${list}\n(image.mirror, image.archive and image.index name them)`,
      1,
    );
  throw new ResolveError(`image.release: no ${what} was found:\n${list}`, 2);
}

export interface LockResult {
  file: string;
  image: LockedImage;
  changed: boolean;
  /** Why the image was resolved again, when it was. */
  reason?: string;
}

/** labforge lock: pins the image (resolving it from Fedora's servers unless the lab file names it) into lab.lock.
 *  A lock that fits is kept unless `update`; the bake record stays while the image is the same. */
export async function lockLab(
  lab: Lab,
  localSha256: string | undefined,
  opts: { update?: boolean; note?: (line: string) => void },
): Promise<LockResult> {
  const current = readLock(lab);
  const reason = current ? misfit(lab, current) : 'there is no lock';
  if (current && !reason && !opts.update) return { file: lockPath(lab), image: current.image, changed: false };
  const image = givenImage(lab, localSha256) ?? (await resolveImage(lab, opts.note));
  const same = current !== undefined && current.image.url === image.url && current.image.checksum === image.checksum;
  const lock: LabLock = { lockfile: 1, image, ...(same && current?.bake ? { bake: current.bake } : {}) };
  const file = writeLock(lab, lock);
  return { file, image, changed: !same, reason: opts.update ? 'asked to update' : reason };
}
