// Opening a lab for a command: load + validate the lab file, then gather what the renderers need from the host.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { loadLabFile } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import type { RenderContext } from '../render/context.js';
import { memoryMiB, resolveDriver, userCacheDir } from '../tools/host.js';
import { ToolError, ToolMissingError } from '../tools/run.js';
import * as vagrant from '../tools/vagrant.js';
import { publicKeyOf } from '../tools/ssh.js';
import { catalogued, lockPath, misfit, readLock } from './lablock.js';
import { atomicWrite, outDirProblem, owned } from './write.js';

export interface OpenLab {
  lab: Lab;
  ctx: RenderContext;
  warnings: string[];
  /** The private half of the Vagrant insecure key Packer logs in with (see tools/vagrant.ts preferredKey). */
  insecurePrivateKey: string;
}

export interface GlobalOptions {
  lab: string;
  out?: string;
}

/** sha256 of a local base image, streamed (the event loop stays free, so SIGINT stops it at once), cached by path,
 *  size and mtime so repeated commands stay fast. */
async function localImageSha256(lab: Lab, image: string): Promise<string> {
  const st = fs.statSync(image); // validation has checked it is a readable regular file
  const cacheFile = path.join(lab.outDir, '.cache', 'local-image.json');
  const key = `${image}:${st.size}:${st.mtimeMs}`;
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    if (cached.key === key) return cached.sha256;
  } catch {
    /* compute */
  }
  const h = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(image, { highWaterMark: 1 << 20 }), h);
  const sha256 = h.digest('hex');
  if (fs.existsSync(lab.outDir) && owned(lab.outDir)) {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    atomicWrite(cacheFile, JSON.stringify({ key, sha256 }), 0o644);
  }
  return sha256;
}

/** A mistake in how labforge was called. */
export class UsageError extends Error {
  /** labforge's exit code when this error ends a command. */
  readonly exitStatus = 2;
}

/** The user's `access.ssh_key`: a private key ssh-keygen reads, matching the
 *  public key beside it. */
async function checkKey(lab: Lab): Promise<void> {
  // The lab's own key is labforge's, made by ssh-keygen: no need to ask ssh-keygen again on every command.
  if (lab.access.ownKey) return;
  const file = lab.access.sshKey;
  const field = 'access.ssh_key';
  let derived: string;
  try {
    derived = await publicKeyOf(file);
  } catch {
    throw new UsageError(
      `${field}: ${JSON.stringify(file)} is not a private key that \`ssh-keygen -y\` can read without a passphrase`,
    );
  }
  let pub = '';
  try {
    pub = fs.readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  } catch {
    /* reported below */
  }
  if (pub !== derived)
    throw new UsageError(
      `${field}: ${file}.pub ${pub ? 'is not the public half of' : 'is missing beside'} the private key ${JSON.stringify(file)}`,
    );
}

// Vagrant's insecure keys, found where the installed Vagrant says its files are (tools/vagrant.ts describe), never
// in a list of guessed folders. Asking Vagrant takes a second, so the answer is kept in labforge's cache folder
// (vagrant.json) under a key that changes whenever the `vagrant` on PATH does (executableIdentity): every later
// command reads a small file and Vagrant's keys/ folder, and starts no Ruby.
const CACHE_FILE = 'vagrant.json';

interface Cached {
  identity: string;
  sourceRoot: string;
  /** The matching of the private keys, and the key files' fingerprint it holds for (see insecureKeys). */
  keys?: Pick<vagrant.InsecureKeys, 'fingerprint' | 'privateKeys'>;
}

/** A cache that cannot be written only costs the next command a second. */
function writeCache(file: string, c: Cached): void {
  const keys = c.keys && { fingerprint: c.keys.fingerprint, privateKeys: c.keys.privateKeys };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    atomicWrite(file, `${JSON.stringify({ identity: c.identity, sourceRoot: c.sourceRoot, keys })}\n`, 0o644);
  } catch {
    /* the next command asks Vagrant again */
  }
}

function readCache(file: string): Cached | undefined {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.size > 64 * 1024) return undefined;
    const v = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof v?.identity === 'string' && typeof v?.sourceRoot === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The insecure keys of the Vagrant on PATH (see tools/vagrant.ts insecureKeys), and where labforge learnt its
 *  folder: `cache` when the cached answer was still good, `vagrant` when Vagrant was asked. */
export async function vagrantKeys(): Promise<vagrant.InsecureKeys & { from: 'cache' | 'vagrant' }> {
  const identity = vagrant.executableIdentity();
  if (!identity)
    throw new ToolMissingError(
      "vagrant is not installed (labforge needs Vagrant's insecure keys from it); install vagrant and vagrant-libvirt (`labforge setup`)",
    );
  const file = path.join(userCacheDir(), CACHE_FILE);
  const cached = readCache(file);
  if (cached?.identity === identity) {
    try {
      const keys = vagrant.insecureKeys(cached.sourceRoot, cached.keys);
      if (
        keys.fingerprint !== cached.keys?.fingerprint ||
        JSON.stringify(keys.privateKeys) !== JSON.stringify(cached.keys?.privateKeys)
      )
        writeCache(file, { identity, sourceRoot: cached.sourceRoot, keys });
      return { ...keys, from: 'cache' };
    } catch {
      /* the folder moved or changed: ask Vagrant again */
    }
  }
  const { sourceRoot } = await vagrant.describe();
  if (!sourceRoot)
    throw new ToolError(
      'vagrant',
      ['vagrant', 'plugin', 'list', '--machine-readable'],
      0,
      '',
      "named no folder of its own in its debug log (no 'Loading core plugin:' line), so labforge cannot find Vagrant's insecure keys",
    );
  let keys: vagrant.InsecureKeys;
  try {
    keys = vagrant.insecureKeys(sourceRoot);
  } catch (e) {
    throw new ToolMissingError(`Vagrant's insecure keys (in the Vagrant at ${sourceRoot}): ${(e as Error).message}`);
  }
  writeCache(file, { identity, sourceRoot, keys });
  return { ...keys, from: 'vagrant' };
}

/** Loads and validates the lab file (`onParsed`: see LoadOptions) and gathers what the renderers need. */
export async function openLab(opts: GlobalOptions, onParsed?: (raw: unknown) => void): Promise<OpenLab> {
  if (opts.out !== undefined) {
    const problem = outDirProblem(opts.out);
    if (problem) throw new UsageError(`--out: ${problem}`);
  }
  const { lab, warnings } = loadLabFile(opts.lab, { outDir: opts.out, hostMemoryMiB: memoryMiB().total, onParsed });
  if (opts.out === undefined) {
    const problem = outDirProblem(lab.outDir);
    if (problem) throw new UsageError(`the output folder ${problem} (choose one with --out)`);
  }
  await checkKey(lab);
  // Only a render needs Vagrant's keys (the box accepts them, Packer logs in with one): a command that renders nothing
  // (doctor, ssh, status, ...) works without Vagrant, and a render says why it cannot.
  let keys: vagrant.InsecureKeys | undefined;
  let keysProblem: string | undefined;
  try {
    keys = await vagrantKeys();
  } catch (e) {
    keysProblem = (e as Error).message;
  }
  const ctx: RenderContext = {
    driver: resolveDriver(lab.host.driver),
    hostCpus: os.cpus().length,
    vagrantPublicKeys: keys?.publicKeys ?? [],
    vagrantKeysProblem: keysProblem,
    localImageSha256: lab.image.local ? await localImageSha256(lab, lab.image.local) : undefined,
  };
  // The image lab.lock pins, when it fits the lab file (without one, the renderer takes labforge's catalogue).
  if (lab.image.local === undefined && lab.image.url === undefined) {
    const lock = readLock(lab);
    if (lock && !misfit(lab, lock)) ctx.baseImage = { url: lock.image.url, checksum: lock.image.checksum };
  }
  return { lab, ctx, warnings, insecurePrivateKey: keys ? vagrant.preferredKey(keys).file : '' };
}

/** Fails (exit 2) when nothing names the lab's base image: no image.url or image.local, no lab.lock that fits, and a
 *  release this labforge does not know. `labforge lock` (or bake) asks Fedora and writes the lock. */
export function requireBaseImage(o: OpenLab): void {
  const { lab, ctx } = o;
  if (lab.image.local !== undefined || lab.image.url !== undefined || ctx.baseImage || catalogued(lab)) return;
  throw new UsageError(
    `image.release: labforge does not know Fedora ${lab.image.release}'s ${lab.image.method} image${lab.image.compose ? ` (compose ${lab.image.compose})` : ''} and ${lockPath(lab)} does not pin it; run \`labforge lock\` to resolve it from Fedora's servers`,
  );
}
