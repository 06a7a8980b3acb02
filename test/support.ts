// Shared test helpers: running the built CLI, temp dirs that clean themselves up, the real tools' locations.
import fs from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { which } from '../src/tools/run.js';
import { vagrantKeys } from '../src/lifecycle/host/vagrant-keys.js';
import { preferredKey } from '../src/tools/vagrant.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(ROOT, 'bin', 'labforge.js');

// Clean-ups of the current test file, run after its last test, newest first (a namespace goes down before the
// directory with its state is removed). Jest loads this module afresh for every test file, so each file's
// afterAll runs only that file's clean-ups, whether its tests passed or failed.
const cleanups: (() => unknown)[] = [];

/** Runs `fn` after the current test file's last test (before the clean-ups registered earlier). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

afterAll(async () => {
  const errors: unknown[] = [];
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
}, 300000);

// The registry of labs (state/registry.ts) lives in $XDG_STATE_HOME: each test file gets its own, so no test adds
// to the user's list of labs and `labforge ls` sees only the test's labs.
const stateHome = fs.mkdtempSync(path.join(os.tmpdir(), 'labforge-state-'));
process.env.XDG_STATE_HOME = stateHome;
onCleanup(() => fs.rmSync(stateHome, { recursive: true, force: true }));

/** A fresh directory under the system's temp dir, removed after the test file's last test. */
export function tempDir(prefix = 'labforge-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  // LABFORGE_OFFLINE: no test asks Fedora's servers (tests of resolution serve a mirror on 127.0.0.1 and say so).
  return execa('node', [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { NO_COLOR: '1', LABFORGE_OFFLINE: '1', ...opts.env },
    reject: false,
    all: true,
  });
}

/** Writes a lab file into a fresh directory and returns its path. */
export function writeLab(text: string, dir = tempDir()): string {
  const file = path.join(dir, 'lab.yaml');
  fs.writeFileSync(file, text);
  return file;
}

/** Every file below a directory, relative, sorted. In an output folder, the generated files are listed through their
 *  links (the render store .renders/ and the .current link are left out: their names change with every render). */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (d === dir && (e.name === '.renders' || e.name === '.current')) continue;
      const p = path.join(d, e.name);
      // Links are followed: the output folder's generated entries are links into its current render.
      if (e.isDirectory() || (e.isSymbolicLink() && fs.statSync(p, { throwIfNoEntry: false })?.isDirectory())) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Where a program is: on PATH, or in the sbin directories a non-login root shell may lack (libvirtd, ip). */
export function toolPath(tool: string): string | undefined {
  return which(tool) ?? ['/usr/sbin', '/sbin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
}

/** Fails with a clear message when a real tool the test needs is missing (never a silent skip). */
export function requireTool(tool: string): void {
  if (!toolPath(tool)) throw new Error(`this test needs \`${tool}\` on PATH; .ci/run installs it (apt-get install)`);
}

/** Vagrant's insecure keys, found by labforge's own lookup (the installed Vagrant says where they are); the tests
 *  that need them fail without them. `privateKey`: the one Packer logs in with; `publicKeyText`: the first line of
 *  keys/vagrant.pub, `publicKeys`: all of them. */
export async function vagrantKeyPair(): Promise<{ privateKey: string; publicKeys: string[]; publicKeyText: string }> {
  let keys;
  try {
    keys = await vagrantKeys();
  } catch (e) {
    throw new Error(`this test needs Vagrant's insecure keys (install the vagrant package): ${(e as Error).message}`);
  }
  return { privateKey: preferredKey(keys).file, publicKeys: keys.publicKeys, publicKeyText: keys.publicKeys[0] };
}

/** A stand-in `vagrant` in `bin` that says, as the real one's debug log does, where the installed Vagrant keeps its
 *  files: labforge then finds the real insecure keys through it, with only `bin` on PATH. The caller gives the run
 *  an XDG_CACHE_HOME of its own, so the user's cached answer stays as it was. */
export async function standInVagrant(bin: string): Promise<void> {
  const root = path.dirname((await vagrantKeys()).dir);
  fs.writeFileSync(
    path.join(bin, 'vagrant'),
    `#!/bin/sh\necho "DEBUG global: Loading core plugin: ${root}/plugins/hosts/linux/plugin.rb" >&2\n`,
    { mode: 0o755 },
  );
}

/** A stand-in `virsh` in `bin` whose `list --all` shows these domains running (for commands that ask libvirt
 *  whether the nodes run before they ssh to stand-in nodes). */
export function standInVirsh(bin: string, domains: string[]): void {
  // printf is a shell builtin: the script works with only `bin` on PATH.
  const rows = [
    ' Id   Name   State',
    '---------------------',
    ...domains.map((d, i) => ` ${i + 1}    ${d}    running`),
  ];
  fs.writeFileSync(path.join(bin, 'virsh'), `#!/bin/sh\nprintf '%s\\n' ${rows.map((r) => `'${r}'`).join(' ')}\n`, {
    mode: 0o755,
  });
}

/** A stand-in `packer` (a bash script body) in a bin directory to put first on PATH, plus a one-node lab file beside
 *  it, for tests of how labforge drives Packer without running a real build. */
export function standInPacker(body: string): { dir: string; lab: string; env: Record<string, string> } {
  const dir = tempDir();
  const env = packerBin(dir, body);
  const lab = writeLab('name: t\nvips: []\nnodes:\n  - { name: a, ip: 10.240.0.11 }\n', dir);
  // The script finds its directory in $STANDIN_DIR.
  return {
    dir,
    lab,
    env: { ...env, STANDIN_DIR: dir, LABFORGE_OFFLINE: '1' },
  };
}

/** `DIR/bin/packer`, a bash script with this body, and the environment that makes labforge run it (labforge runs
 *  only a Packer it identified as HashiCorp's, or the one LABFORGE_PACKER names), Vagrant's home in `DIR/vh`. */
export function packerBin(dir: string, body: string): Record<string, string> {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'packer'), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  return {
    PATH: `${bin}:${process.env.PATH}`,
    LABFORGE_PACKER: path.join(bin, 'packer'),
    VAGRANT_HOME: path.join(dir, 'vh'),
    CI: 'true',
  };
}

/** A labforge ownership record (`.labforge-state.json`) as up leaves it, as JSON text. */
export function ownershipRecord(lab: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: 1, lab, uri: 'qemu:///system', domains: [], volumes: [], networks: [], ...fields });
}

/** A lab.lock pinning Fedora 44's Cloud image 1.7 (the catalogue's), as JSON text; `image` and `top` change fields. */
export function fedora44Lock(image: Record<string, unknown> = {}, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    lockfile: 1,
    image: {
      method: 'cloud',
      release: 44,
      compose: '1.7',
      url: 'https://download.fedoraproject.org/pub/fedora/linux/releases/44/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2',
      checksum: `sha256:${'ab'.repeat(32)}`,
      from: 'catalogue',
      mirror: 'https://download.fedoraproject.org/pub/fedora/linux',
      ...image,
    },
    ...top,
  });
}

/** The repository's lab.yaml: the guide's lab, every field spelled out (the schema's defaults are neutral). */
export const GUIDE_LAB_TEXT = fs.readFileSync(path.join(ROOT, 'lab.yaml'), 'utf8');

/** lab.yaml with `extra` (YAML) laid over it: mappings merged key by key, lists and values replaced. */
export function guideLab(extra = '{}'): string {
  const merge = (a: unknown, b: unknown): unknown => {
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
      for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
      return out;
    }
    return b === undefined ? a : b;
  };
  return stringifyYaml(merge(parseYaml(GUIDE_LAB_TEXT), parseYaml(extra) ?? {}));
}

/** `vagrant validate` of the Vagrantfile in `dir`, with a Vagrant home of its own there; its output and exit code. */
export async function vagrantValidate(dir: string): Promise<{ all: string; exitCode: number | undefined }> {
  const v = await execa('vagrant', ['validate'], {
    cwd: dir,
    env: { VAGRANT_HOME: path.join(dir, 'vagrant-home'), VAGRANT_CHECKPOINT_DISABLE: '1' },
    reject: false,
    all: true,
  });
  return { all: String(v.all ?? ''), exitCode: v.exitCode };
}
