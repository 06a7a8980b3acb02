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
          try {
            await packer.build(dir, { ssh_private_key_file: open.insecurePrivateKey }, { log, onLine: progress });
          } catch (e) {
            throw checksumMismatch(e, lab) ?? e;
          }
          if (!fs.existsSync(box)) throw new Error(`packer build finished but ${box} is missing`);
          boxBytes = fs.statSync(box).size;
          return `box ${mib(boxBytes)}`;
        },
      },
      {
        title: `Add the box ${rendered.box}`,
        task: async (_c, progress) => {
          await vagrant.boxAdd(rendered.box, box, { log, onLine: progress });
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
