// Free space where a lab's disks live. `up` checks it before Vagrant creates node disks (and uploads the box's base
// volume), `snapshot save` before it writes every running node's memory into the node disks: a full file system is
// found before anything is changed, and named with the space needed. What the tools say when a disk fills up anyway
// ("No space left on device") becomes the same sentence (DiskFullError, exit 1).
import { HostsVirsh } from '../../tools/hosts-virsh.js';
import fs from 'node:fs';
import path from 'node:path';
import { EXIT } from '../../errors.js';
import type { Lab } from '../../lab/model.js';
import type { Virsh } from '../../tools/virsh.js';
import { LIBVIRT_IMAGES } from '../state/pool.js';

const MiB = 2 ** 20;

/** How the tools say a disk is full: the kernel's ENOSPC / EDQUOT text, QEMU's and libvirt's words for them. */
export const NO_SPACE = /No space left on device|\bENOSPC\b|Disk quota exceeded|\bEDQUOT\b|not enough (free )?space/i;

/** A file system too full for what a command must write: names it, what is free and what is needed. */
export class DiskFullError extends Error {
  readonly exitStatus = EXIT.failure;
}

/** What a new node's disk (a copy-on-write overlay of the base volume) takes in its first boot and provisioning,
 *  at least: the space up asks for each node it creates, beyond the base volume. */
export const NEW_NODE_DISK_MIB = 128;

export interface Mount {
  mountPoint: string;
  fsType: string;
  source: string;
}

const unescapeMountinfo = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The mount that holds `file` (an absolute path without links), from the text of /proc/self/mountinfo: the
 *  deepest mount point above it (the last one of equal depth: mounted later, on top). */
export function mountOf(file: string, mountinfo: string): Mount | undefined {
  let best: Mount | undefined;
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 3) continue;
    const mountPoint = unescapeMountinfo(f[4]);
    const under = mountPoint === '/' || file === mountPoint || file.startsWith(`${mountPoint}/`);
    if (!under || (best && mountPoint.length < best.mountPoint.length)) continue;
    best = { mountPoint, fsType: f[dash + 1], source: unescapeMountinfo(f[dash + 2]) };
  }
  return best;
}

/** Free space somewhere a command writes, and how a message names that place. */
export interface Space {
  availableBytes: number;
  where: string;
}

/** `dir`'s nearest existing folder (itself, or a parent), without links. */
function existing(dir: string): string {
  let d = path.resolve(dir);
  while (!fs.existsSync(d) && d !== path.dirname(d)) d = path.dirname(d);
  return fs.realpathSync(d);
}

/** The free space of the file system holding `dir` on this machine (statfs), named by its mount. */
export function localSpace(dir: string, what: string): Space {
  const d = existing(dir);
  const s = fs.statfsSync(d);
  let mountinfo = '';
  try {
    mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    /* not Linux: the folder alone names it */
  }
  const m = mountOf(d, mountinfo);
  const fsName = m ? `the ${m.fsType} file system mounted at ${m.mountPoint} (${m.source})` : `the file system of ${d}`;
  return { availableBytes: s.bavail * s.bsize, where: `${what}, on ${fsName}` };
}

/** Where the lab's storage pool (host.pool) keeps its volumes, and what is free there: statfs on this machine, libvirt's
 *  pool-info (after a refresh) on a remote host. Undefined when a remote pool does not exist yet. */
export async function poolSpace(lab: Lab, virsh: Virsh): Promise<Space | undefined> {
  // A lab across hosts: each host's pool, and the one with the least free space is what a check must fit in.
  if (virsh instanceof HostsVirsh) {
    const spaces = await Promise.all(virsh.hosts.map((h) => poolSpace(lab, h)));
    return spaces.reduce<Space | undefined>(
      (low, s) => (s && (!low || s.availableBytes < low.availableBytes) ? s : low),
      undefined,
    );
  }
  const name = lab.host.pool;
  const dir = (await virsh.poolTargetPath(name)) ?? lab.host.poolPath ?? LIBVIRT_IMAGES;
  if (!lab.host.remote) return localSpace(dir, `storage pool ${name} (${dir})`);
  const available = await virsh.poolAvailableBytes(name, true);
  if (available === undefined) return undefined;
  return { availableBytes: available, where: `storage pool ${name} (${dir}) on ${virsh.uri}` };
}

export const mib = (bytes: number) => `${Math.ceil(bytes / MiB)} MiB`;

/** Throws DiskFullError unless `space` has `needBytes` free: "<command>: not enough free space in <where>: N MiB
 *  free, it needs about M MiB (<why>). <then>". `then` says what was left as it was and what to do (the default
 *  names the lab's pool, host.pool_path). */
export function requireSpace(
  command: string,
  space: Space,
  needBytes: number,
  why: string,
  then = `Nothing was changed: free space there (or give host.pool_path a larger file system), then run ${command} again`,
): void {
  if (space.availableBytes >= needBytes) return;
  throw new DiskFullError(
    `${command}: not enough free space in ${space.where}: ${mib(space.availableBytes)} free, ${command} needs about ` +
      `${mib(needBytes)} (${why}). ${then}`,
  );
}

/** A tool's failure that says a disk is full, as DiskFullError naming the place; other errors as they are. `short`:
 *  the caller found the file system too full for the work after the tool failed (a tool that says only that a write
 *  failed: curl's "Failure writing output to destination"), so the failure is a full disk whatever its words. */
export function diskFullOr(
  e: unknown,
  command: string,
  space: Space | undefined,
  need: string,
  after: string,
  short = false,
): unknown {
  const text = e instanceof Error ? e.message : String(e);
  if (!NO_SPACE.test(text) && !short) return e;
  const said = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && (NO_SPACE.test(l) || !NO_SPACE.test(text)))
    .pop();
  return new DiskFullError(
    `${command}: ${space ? space.where : "the file system of the lab's disks"} is full${space ? ` (${mib(space.availableBytes)} free now)` : ''}: ` +
      `${need}. The tool said: ${said}. ${after}`,
  );
}
