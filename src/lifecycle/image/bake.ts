// labforge bake: render, packer build, vagrant box add under a name that carries the hash of every bake input.
import fs from 'node:fs';
import { inCurrentRender } from '../state/renders.js';
import { outLayer } from '../state/outdir.js';
import path from 'node:path';
import { BakeCheckError } from '../../errors.js';
import { PACKER_BAKE } from '../../render/packer.js';
import * as packer from '../../tools/packer.js';
import * as vagrant from '../../tools/vagrant.js';
import { describeStopped } from '../../tools/children.js';
import type { Lab } from '../../lab/model.js';
import { givenImage, NO_LOCK } from '../../lab/base-image.js';
import { lockPath, readLock, settleLock, writeLock } from './lockfile.js';
import type { OpenLab } from '../open.js';
import { logFile, runSteps } from '../steps.js';
import { renderToDisk } from '../state/renders.js';
import { DiskFullError, diskFullOr, localSpace, mib as wholeMib, requireSpace, type Space } from '../host/space.js';

export interface BakeResult {
  box: string;
  hash: string;
  built: boolean;
  seconds: number;
  /** Size of the box file Packer wrote, in bytes (built boxes only). */
  boxBytes?: number;
}

/** A local base image that changed since lab.lock pinned it is not baked: the lock says which image the lab is. */
function checkLocalImage(lab: Lab, localSha256: string | undefined): void {
  const current = lab.image.local === undefined ? undefined : readLock(lab);
  if (current?.image.from !== 'local file') return;
  const given = givenImage(lab, localSha256)!;
  if (current.image.checksum !== given.checksum)
    throw new BakeCheckError(
      `image.local ${lab.image.local} is ${given.checksum}, but ${lockPath(lab)} pins ${current.image.checksum}: ` +
        'the base image changed since it was locked; nothing was baked (run `labforge lock --update` to take the new image)',
    );
}

/** Packer's "Checksums did not match ... Expected: X ... Got: Y", as a sentence naming the lock. */
function checksumMismatch(e: unknown, lab: Lab): Error | undefined {
  const m = /Checksums did not match for (\S+?)\.?\s+Expected: ([0-9a-f]+)\s+Got: ([0-9a-f]+)/i.exec(
    (e as Error)?.message ?? '',
  );
  if (!m) return undefined;
  return new BakeCheckError(
    `the base image does not match ${lockPath(lab)}: it pins sha256 ${m[2]}, ` +
      `the downloaded image has sha256 ${m[3]} (${m[1]}); nothing was installed. ` +
      'If Fedora replaced the image, `labforge lock --update` takes the new one.',
  );
}

export async function bake(open: OpenLab, opts: { force?: boolean }): Promise<BakeResult> {
  const started = Date.now();
  const { lab } = open;
  // lab.lock when it fits the lab file; otherwise the image the lab file names, or the release resolved from
  // Fedora's servers (offline: what this labforge knows), written to lab.lock.
  checkLocalImage(lab, open.ctx.localImageSha256);
  const settled = await settleLock(lab, open.ctx.localImageSha256, { catalogueWhenOffline: true });
  const lock = settled.lock;
  if (settled.how) {
    const done = settled.reason === NO_LOCK ? 'written' : `rewritten (${settled.reason})`;
    console.log(`labforge: ${settled.file}: ${done}: ${lock.image.url} ${settled.how}`);
  }
  const ctx = {
    ...open.ctx,
    baseImage: lab.image.local === undefined ? { url: lock.image.url, checksum: lock.image.checksum } : undefined,
  };
  const rendered = await renderToDisk(lab, ctx);
  const killed = await packer.sweepKilledBuilds();
  if (killed.stopped.length)
    console.error(
      `labforge: stopped what the build of an earlier, killed labforge left running: ${describeStopped(killed.stopped)}`,
    );
  if (!opts.force && vagrant.boxInstalled(rendered.box)) {
    return { box: rendered.box, hash: rendered.hash, built: false, seconds: (Date.now() - started) / 1000 };
  }
  const dir = path.join(lab.outDir, PACKER_BAKE.dir);
  const box = path.join(dir, PACKER_BAKE.box);
  const log = logFile(lab.outDir, 'bake');
  console.log(`labforge: baking ${rendered.box}; full log: ${log}`);
  let boxBytes: number | undefined;
  await runSteps<{ version?: packer.Version }>(
    [
      {
        title: 'Check Packer',
        task: async (c) => {
          c.version = await packer.version();
          return `Packer ${c.version.text}${packer.supportsInit(c.version) ? '' : ' (no plugins file, no packer init)'}`;
        },
      },
      {
        title: 'Install Packer plugins (packer init)',
        skip: (c) =>
          c.version && !packer.supportsInit(c.version)
            ? `Packer ${c.version.text} has the qemu builder built in`
            : false,
        task: async (_c, progress) => packer.init(dir, PACKER_BAKE.initFile, { log, onLine: progress }),
      },
      {
        title: `Build the image (packer build, accelerator ${ctx.driver === 'kvm' ? 'kvm' : 'tcg'})`,
        task: async (_c, progress) => {
          removePackerOutput(lab, 'box');
          const space = checkBuildSpace(lab);
          try {
            await packer.build(dir, { ssh_private_key_file: open.insecurePrivateKey }, { log, onLine: progress });
          } catch (e) {
            throw checksumMismatch(e, lab) ?? buildDiskFull(e, lab, space) ?? e;
          }
          if (!fs.existsSync(box)) throw new Error(`packer build finished but ${box} is missing`);
          boxBytes = fs.statSync(box).size;
          return `box ${mib(boxBytes)}`;
        },
      },
      {
        title: `Add the box ${rendered.box}`,
        task: async (_c, progress) => {
          try {
            await addBox(rendered.box, box, { log, onLine: progress });
          } catch (e) {
            // The next bake builds the box again: the file would only keep the space Vagrant's home may share.
            if (e instanceof DiskFullError) removePackerOutput(lab, 'box');
            throw e;
          }
          removePackerOutput(lab, 'box');
          removePackerOutput(lab, PACKER_BAKE.outputDirectory);
        },
      },
      {
        title: `Record the bake in ${path.basename(lockPath(lab))}`,
        task: async (c) => {
          const version = c.version!;
          const plugins = packer.supportsInit(version)
            ? await packer.installedPlugins(dir)
            : { qemu: `built into Packer ${version.text}`, vagrant: `built into Packer ${version.text}` };
          writeLock(lab, { ...lock, bake: { hash: rendered.hash, box: rendered.box, packer: version.text, plugins } });
        },
      },
    ],
    {},
  );
  console.log(`labforge: the box file was ${mib(boxBytes!)} (virtual disk ${lab.image.diskGiB} GiB)`);
  return { box: rendered.box, hash: rendered.hash, built: true, seconds: (Date.now() - started) / 1000, boxBytes };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Removes a folder Packer writes in the current render's packer/ (box/, build/), through the file layer. */
function removePackerOutput(lab: Lab, name: string): void {
  const rel = inCurrentRender(lab.outDir, `${PACKER_BAKE.dir}/${name}`);
  if (rel) outLayer(lab.outDir).removeToolOutput(rel);
}

/** What Packer writes into the output folder, at least, when the base image is a local file: its copy of the image as
 *  the build disk, and the compressed copy of that disk it makes at the end (disk_compression), the box after it. */
const BUILD_IMAGE_COPIES = 2;

/** The free space of the file system the output folder is on. */
const outputFolder = (lab: Lab) => localSpace(lab.outDir, `the output folder ${lab.outDir}`);

/** The output folder's free space before the build, refused (exit 1) when it cannot hold what Packer will write: known
 *  when the base image is a local file (BUILD_IMAGE_COPIES times its size); a downloaded image's size is not known yet. */
function checkBuildSpace(lab: Lab): Space {
  const space = outputFolder(lab);
  const image = lab.image.local ? fs.statSync(lab.image.local, { throwIfNoEntry: false }) : undefined;
  if (image?.isFile())
    requireSpace(
      'labforge bake',
      space,
      BUILD_IMAGE_COPIES * image.size,
      `Packer's build disk, a copy of the base image ${lab.image.local} (${wholeMib(image.size)}) that grows during ` +
        'the build, and the compressed copy of it it writes at the end',
      'Nothing was built or installed: free space there (or give --out a folder on a larger file system), then run ' +
        'labforge bake again',
    );
  return space;
}

/** A build that failed on a full output folder (Packer or QEMU said "No space left on device" and the folder's file
 *  system is nearly full now), as DiskFullError naming it; undefined otherwise. */
function buildDiskFull(e: unknown, lab: Lab, before: Space): Error | undefined {
  const now = outputFolder(lab);
  if (now.availableBytes >= 64 * 2 ** 20) return undefined;
  const full = diskFullOr(
    e,
    'labforge bake',
    now,
    `Packer could not write the build's disk (${wholeMib(before.availableBytes)} were free when it started)`,
    'Nothing was installed in Vagrant: free space there (or give --out a folder on a larger file system), then run ' +
      'labforge bake again',
  );
  return full === e ? undefined : (full as Error);
}

/**
 * `vagrant box add` of the box file Packer wrote, with room for it: Vagrant copies the file into its home's tmp/
 * folder, unpacks it beside the copy and moves what it unpacked into boxes/ (a rename, within one file system). Too
 * little free space there is exit 1 before Vagrant starts, naming the file system and the space needed; a disk that
 * fills anyway is the same sentence quoting Vagrant. Vagrant removes what it unpacked when unpacking fails, and keeps
 * an installed box of the same name until the new one is unpacked; its copy of the file (which it would resume, and
 * which fills the file system when the copy failed) is removed here after an add that failed, so nothing of a
 * half-added box stays in Vagrant's home.
 */
export async function addBox(name: string, file: string, o: { log?: string; onLine?: (l: string) => void }) {
  const home = vagrant.home();
  const where = `Vagrant's home ${home}`;
  const fileBytes = fs.statSync(file).size;
  const unpacked = vagrant.boxUnpackedBytes(file);
  const need = fileBytes + unpacked;
  const why =
    `Vagrant copies the box file (${wholeMib(fileBytes)}) into ${path.join(home, 'tmp')} and unpacks it there ` +
    `(${wholeMib(unpacked)})`;
  requireSpace(
    'labforge bake',
    localSpace(home, where),
    need,
    why,
    'Nothing was installed in Vagrant: free space there (or set VAGRANT_HOME to a folder on a larger file system), ' +
      'then run labforge bake again',
  );
  try {
    await vagrant.boxAdd(name, file, o);
  } catch (e) {
    const now = localSpace(home, where);
    vagrant.removeBoxAddTemp(file);
    throw diskFullOr(
      e,
      'labforge bake',
      now,
      `${why}, about ${wholeMib(need)}`,
      `Box ${name} was not installed and Vagrant's copy of the box file was removed: free space there, then run ` +
        'labforge bake again',
      now.availableBytes < need,
    );
  }
}
