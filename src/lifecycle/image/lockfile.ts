// lab.lock on disk: the lab's base image pinned to an exact URL and checksum, and what the last bake used (its
// format and the plan that decides it: lab/base-image.ts). It sits beside the lab file (lab.yaml -> lab.lock) and is
// meant to be committed: the same lab file and lock give the same recipe and the same box name on every machine.
// `labforge lock` and `bake` settle it (settleLock); render and every other command read it.
import path from 'node:path';
import { BOUNDS } from '../../bounds.js';
import { ResolveError, UsageError } from '../../errors.js';
import { lockProblem } from '../../lab/lock-schema.js';
import { planLock, type LabLock, type LockedImage, type LockPolicy } from '../../lab/base-image.js';
import type { Lab } from '../../lab/model.js';
import { jsonDamage, readCheckedJson } from '../state/state-file.js';
import { atomicWrite } from '../state/outdir.js';
import { resolveImage } from './fedora-servers.js';

/** lab.yaml -> lab.lock, beside it. */
export function lockPath(lab: Lab): string {
  const file = lab.source;
  return path.join(path.dirname(file), `${path.basename(file).replace(/\.(ya?ml|json)$/i, '')}.lock`);
}

/** lab.lock, checked: a regular file (on the open descriptor; a FIFO or /dev/zero is refused at once) of at most
 *  BOUNDS.lockFileBytes, JSON that fits the lock's schema (lab/lock-schema.ts), else exit 2 naming the field. */
export function readLock(lab: Lab): LabLock | undefined {
  const file = lockPath(lab);
  const fix = 'remove it or run `labforge lock --update`';
  return readCheckedJson<LabLock>(
    file,
    { what: 'lab.lock', maxBytes: BOUNDS.lockFileBytes.max },
    (value) => lockProblem(value) || undefined,
    (d) =>
      new UsageError(
        d.how === 'unreadable'
          ? `${d.error.message}; ${fix}`
          : d.how === 'json'
            ? `${file}: not a labforge lock file (${jsonDamage(d.text)}); ${fix}`
            : `${file}: ${d.problem}; ${fix}`,
      ),
  );
}

export function writeLock(lab: Lab, lock: LabLock): string {
  const file = lockPath(lab);
  const problem = lockProblem(lock);
  if (problem)
    throw new UsageError(
      `lab.lock cannot pin this image: ${problem}; name the image in the lab file with an https URL and its sha256`,
    );
  atomicWrite(file, `${JSON.stringify(lock, null, 2)}\n`, 0o644);
  return file;
}

/** No image for the lab: no image.url or image.local, no lab.lock that fits, and a release this labforge does not
 *  know (exit 2). `labforge lock` (or bake) asks Fedora and writes the lock. */
export function noBaseImage(lab: Lab): UsageError {
  const { release, method, compose } = lab.image;
  return new UsageError(
    `image.release: labforge does not know Fedora ${release}'s ${method} image` +
      `${compose ? ` (compose ${compose})` : ''} and ${lockPath(lab)} does not pin it; ` +
      "run `labforge lock` to resolve it from Fedora's servers",
  );
}

export interface SettledLock {
  file: string;
  lock: LabLock;
  /** Whether lab.lock now pins another image than before. */
  changed: boolean;
  /** Why the image was resolved again, when it was (the plan's reason). */
  reason?: string;
  /** How the image was found, when it was: as the lab file names it, from Fedora's servers, from the catalogue. */
  how?: string;
}

/** Settles lab.lock as the plan says (lab/base-image.ts): kept when it fits; otherwise written with the image the
 *  lab file names, or the release resolved from Fedora's servers. `catalogueWhenOffline` (bake): when the servers
 *  cannot be reached, what this labforge knows of the release. The bake record stays while the image is the same. */
export async function settleLock(
  lab: Lab,
  localSha256: string | undefined,
  opts: LockPolicy & { catalogueWhenOffline?: boolean; note?: (line: string) => void },
): Promise<SettledLock> {
  const file = lockPath(lab);
  const current = readLock(lab);
  const plan = planLock(lab, current, localSha256, opts);
  if (plan.kind === 'keep') return { file, lock: plan.lock, changed: false };
  let image: LockedImage | undefined;
  let how: string;
  if (plan.kind === 'given') {
    image = plan.image;
    how = 'as the lab file names it';
  } else {
    try {
      image = await resolveImage(lab, opts.note);
      how = `resolved from ${image.from}`;
    } catch (e) {
      if (!opts.catalogueWhenOffline || !(e instanceof ResolveError) || e.exitStatus !== 1) throw e;
      console.error(`labforge: ${e.message.split('\n')[0]}; using what this labforge knows of the release`);
      image = plan.catalogue;
      how = "from labforge's catalogue (LABFORGE_OFFLINE, or Fedora's servers out of reach)";
      if (!image) throw noBaseImage(lab);
    }
  }
  const same = current !== undefined && current.image.url === image.url && current.image.checksum === image.checksum;
  const lock: LabLock = { lockfile: 1, image, ...(same && current?.bake ? { bake: current.bake } : {}) };
  writeLock(lab, lock);
  return { file, lock, changed: !same, reason: plan.reason, how };
}

export interface LockResult {
  file: string;
  image: LockedImage;
  changed: boolean;
  /** Why the image was resolved again, when it was. */
  reason?: string;
}

/** labforge lock: pins the image (resolving it from Fedora's servers unless the lab file names it) into lab.lock.
 *  A lock that fits is kept unless `update`. */
export async function lockLab(
  lab: Lab,
  localSha256: string | undefined,
  opts: { update?: boolean; note?: (line: string) => void },
): Promise<LockResult> {
  const { file, lock, changed, reason } = await settleLock(lab, localSha256, opts);
  return { file, image: lock.image, changed, reason };
}
