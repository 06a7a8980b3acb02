// Vagrant's insecure keys, found where the installed Vagrant says its files are (tools/vagrant.ts describe), never
// in a list of guessed folders. Asking Vagrant takes a second, so the answer is kept in labforge's cache folder
// (vagrant.json) under a key that changes whenever the `vagrant` on PATH does (executableIdentity): every later
// command reads a small file and Vagrant's keys/ folder, and starts no Ruby.
import fs from 'node:fs';
import path from 'node:path';
import { ToolError, ToolMissingError } from '../../errors.js';
import { userCacheDir } from '../../tools/host.js';
import * as vagrant from '../../tools/vagrant.js';
import { atomicWrite } from '../state/outdir.js';
import { makeUserFolder } from '../../fsguard/user-files.js';

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
    makeUserFolder(path.dirname(file));
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
