// The lab's base image: what lab.lock pins (its format), whether a lock still fits the lab file, and the one plan
// every command follows to choose the image. The lab file's own image (image.url, image.local) wins; else a lock that
// fits; else the release, resolved from Fedora's servers by the commands that may ask them (lock, bake) or taken
// from the catalogue of what this labforge knows (render, and bake when Fedora is out of reach). Pure.
import { catalogueImage, type ResolvedImage } from './fedora.js';
import path from 'node:path';
import type { Lab } from './model.js';

export interface LockedImage {
  method: 'cloud' | 'iso';
  /** The release and (resolved) compose; absent for an image the lab file names by URL or path. */
  release?: number;
  compose?: string;
  url: string;
  checksum: string;
  /** Where the facts came from: releases.json, a CHECKSUM file's URL, "catalogue", "lab file", "local file". */
  from: string;
  /** The mirror the URL is on (resolved images only). */
  mirror?: string;
}

/** lab.lock: the image, and what the last bake used (Packer and its plugins, the bake hash, the box). */
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

/** The lock entry for an image the lab file names itself (URL and checksum, or a local file), or undefined. */
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

/** The lock entry of the lab's release as resolved (from Fedora's indexes or the catalogue). */
export function resolvedImage(lab: Lab, r: ResolvedImage): LockedImage {
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
  return r && resolvedImage(lab, r);
}

/** The plan's reason when there is no lab.lock yet. */
export const NO_LOCK = 'there is no lock';

/** What a command that chooses the base image may do beyond the plan: `lock --update` resolves again even when the
 *  lock fits. */
export interface LockPolicy {
  update?: boolean;
}

/** The plan: keep the lock; take the image the lab file names; or resolve the release (`catalogue`: the image this
 *  labforge knows of it, for a command that does not ask Fedora). `reason` says why the lock is not kept. */
export type LockPlan =
  | { kind: 'keep'; lock: LabLock }
  | { kind: 'given'; image: LockedImage; reason: string }
  | { kind: 'resolve'; reason: string; catalogue?: LockedImage };

/** The one plan for the base image, from the lab, the current lab.lock (if any) and the policy. `localSha256`:
 *  image.local's sha256, when the lab bakes from a local image. */
export function planLock(
  lab: Lab,
  current: LabLock | undefined,
  localSha256?: string,
  policy: LockPolicy = {},
): LockPlan {
  const reason = policy.update ? 'asked to update' : current ? misfit(lab, current) : NO_LOCK;
  if (current && !reason) return { kind: 'keep', lock: current };
  const given = lab.image.local !== undefined && !localSha256 ? undefined : givenImage(lab, localSha256);
  if (given) return { kind: 'given', image: given, reason: reason! };
  return { kind: 'resolve', reason: reason!, catalogue: catalogued(lab) };
}

/** The image a plan names without asking Fedora's servers (undefined for a release this labforge does not know). */
export function imageOf(plan: LockPlan): LockedImage | undefined {
  if (plan.kind === 'keep') return plan.lock.image;
  if (plan.kind === 'given') return plan.image;
  return plan.catalogue;
}
