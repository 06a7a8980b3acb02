// Opening a lab for a command: load + validate the lab file, then gather what the renderers need from the host.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadLabFile } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import type { RenderContext } from '../render/context.js';
import { memoryMiB, resolveDriver } from '../tools/host.js';
import { ToolMissingError } from '../tools/run.js';
import { insecureKey } from '../tools/vagrant.js';

export interface OpenLab {
  lab: Lab;
  ctx: RenderContext;
  warnings: string[];
  insecurePrivateKey: string;
}

export interface GlobalOptions {
  lab: string;
  out?: string;
}

/** sha256 of a local base image, cached by path, size and mtime so repeated commands stay fast. */
function localImageSha256(lab: Lab, image: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(image);
  } catch {
    throw new UsageError(`image.local: ${JSON.stringify(image)} does not exist`);
  }
  const cacheFile = path.join(lab.outDir, '.cache', 'local-image.json');
  const key = `${image}:${st.size}:${st.mtimeMs}`;
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    if (cached.key === key) return cached.sha256;
  } catch {
    /* compute */
  }
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(image, 'r');
  const buf = Buffer.alloc(8 << 20);
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  const sha256 = h.digest('hex');
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, JSON.stringify({ key, sha256 }));
  return sha256;
}

/** A mistake in how labforge was called. */
export class UsageError extends Error {
  /** labforge's exit code when this error ends a command. */
  readonly exitStatus = 2;
}

export function openLab(opts: GlobalOptions): OpenLab {
  const { lab, warnings } = loadLabFile(opts.lab, { outDir: opts.out, hostMemoryMiB: memoryMiB().total });
  const key = insecureKey();
  if (!key) throw new ToolMissingError("vagrant is not installed (labforge needs Vagrant's insecure key pair from it); install vagrant and vagrant-libvirt");
  const ctx: RenderContext = {
    driver: resolveDriver(lab.host.driver),
    vagrantPublicKey: fs.readFileSync(key.publicKey, 'utf8').trim(),
    localImageSha256: lab.image.local ? localImageSha256(lab, lab.image.local) : undefined,
  };
  return { lab, ctx, warnings, insecurePrivateKey: key.privateKey };
}
