// Vagrant: machine-readable output only (`timestamp,target,type,data`), never the human text.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FileLayer } from '../fsguard/layer.js';
import { run, which, type RunOptions } from './run.js';

export * from './vagrant-insecure-keys.js';

export interface MachineReadableLine {
  timestamp: number;
  target: string;
  type: string;
  data: string[];
}

/** Parses `--machine-readable` output: commas inside a field are `%!(VAGRANT_COMMA)`, newlines are `\n`. */
export function parseMachineReadable(text: string): MachineReadableLine[] {
  const out: MachineReadableLine[] = [];
  for (const line of text.split('\n')) {
    if (!/^\d+,/.test(line)) continue;
    const [ts, target, type, ...data] = line.split(',');
    out.push({
      timestamp: Number(ts),
      target,
      type,
      data: data.map((d) =>
        d
          .replace(/%!\(VAGRANT_COMMA\)/g, ',')
          .replace(/\\n/g, '\n')
          .replace(/\\r/g, '\r'),
      ),
    });
  }
  return out;
}

export type MachineState =
  'running' | 'shutoff' | 'not_created' | 'paused' | 'preparing' | 'inaccessible' | 'shutdown' | 'crashed' | string;

export interface MachineStatus {
  name: string;
  state: MachineState;
  provider?: string;
}

export function parseStatus(text: string): MachineStatus[] {
  const byName = new Map<string, MachineStatus>();
  for (const l of parseMachineReadable(text)) {
    if (!l.target) continue;
    const m = byName.get(l.target) ?? { name: l.target, state: 'unknown' };
    if (l.type === 'state') m.state = l.data[0];
    if (l.type === 'provider-name') m.provider = l.data[0];
    byName.set(l.target, m);
  }
  return [...byName.values()];
}

const ENV = { VAGRANT_CHECKPOINT_DISABLE: '1', VAGRANT_NO_COLOR: '1', VAGRANT_DEFAULT_PROVIDER: 'libvirt' };

function opts(dir: string | undefined, o: RunOptions): RunOptions {
  return { ...o, cwd: dir ?? o.cwd, env: { ...ENV, ...o.env } };
}

export async function version(): Promise<string> {
  const { stdout } = await run('vagrant', ['--version'], opts(undefined, {}));
  return stdout.trim().replace(/^Vagrant\s+/, '');
}

export async function up(dir: string, machines: string[], o: RunOptions = {}): Promise<void> {
  await run('vagrant', ['up', '--provider=libvirt', '--parallel', ...machines], { tailLines: 25, ...opts(dir, o) });
}

export async function provision(dir: string, machines: string[], o: RunOptions = {}): Promise<void> {
  await run('vagrant', ['provision', ...machines], { tailLines: 25, ...opts(dir, o) });
}

export async function destroy(dir: string, o: RunOptions = {}): Promise<void> {
  await run('vagrant', ['destroy', '-f'], opts(dir, o));
}

/** `vagrant box add` of a local box file; --clean: a copy of a file at the same path that an earlier add left in
 *  Vagrant's tmp/ (killed, or a full disk) is not resumed (see boxAddTempFiles). */
export async function boxAdd(name: string, file: string, o: RunOptions = {}): Promise<void> {
  await run('vagrant', ['box', 'add', '--clean', '--force', '--name', name, file], opts(undefined, o));
}

/** Vagrant's home: VAGRANT_HOME, or ~/.vagrant.d. */
export function home(): string {
  return process.env.VAGRANT_HOME ?? path.join(process.env.HOME ?? '/root', '.vagrant.d');
}

/** Where Vagrant keeps the versions of an installed box: `boxes/<name with / as -VAGRANTSLASH->` in its home. */
const boxDir = (name: string) => path.join(home(), 'boxes', name.replace(/\//g, '-VAGRANTSLASH-'));

/** Ruby's URI::RFC2396_Parser#escape, which Vagrant applies to a local box file's path to make its file:// URL. */
const rfc2396Escape = (s: string) =>
  Buffer.from(s, 'utf8')
    .toString('latin1')
    .replace(
      /[^-_.!~*'()a-zA-Z\d;/?:@&=+$,[\]]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
    );

/** Where `vagrant box add FILE` copies a local box file before it unpacks it (Vagrant's box_add.rb: `tmp/box` and the
 *  SHA-1 of the file's URL, beside it a `.lock` in Vagrant >= 2.3.8), relative to Vagrant's home. Vagrant keeps the
 *  copy when the copy fails (a full disk: it then fills the file system) and resumes it on the next add of the same
 *  path within a day, also when the file there is a new build: boxAdd passes --clean, and labforge removes it after
 *  an add that failed. */
export function boxAddTempFiles(file: string): string[] {
  const url = `file://${rfc2396Escape(path.resolve(file))}`;
  const name = `box${createHash('sha1').update(url).digest('hex')}`;
  return [`tmp/${name}`, `tmp/${name}.lock`];
}

/** Removes Vagrant's copy of the box file `file` from its temp folder (boxAddTempFiles), if there; the names removed. */
export function removeBoxAddTemp(file: string): string[] {
  if (!fs.existsSync(home())) return [];
  const layer = new FileLayer(home());
  return boxAddTempFiles(file).filter((rel) => {
    try {
      return layer.remove(rel, ['file']);
    } catch {
      return false; // a link or a folder there is not Vagrant's copy: left alone
    }
  });
}

/** What a box file holds unpacked, at least: for a gzip-compressed box (Packer's vagrant post-processor writes one)
 *  the size gzip records (modulo 4 GiB), never less than the file itself; for a plain tar, the file's size. */
export function boxUnpackedBytes(file: string): number {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(2);
    if (size < 18 || fs.readSync(fd, head, 0, 2, 0) !== 2 || head[0] !== 0x1f || head[1] !== 0x8b) return size;
    const tail = Buffer.alloc(4);
    fs.readSync(fd, tail, 0, 4, size - 4);
    return Math.max(size, tail.readUInt32LE(0));
  } finally {
    fs.closeSync(fd);
  }
}

export async function boxRemove(name: string, o: RunOptions = {}): Promise<void> {
  await run('vagrant', ['box', 'remove', '--force', '--all', '--provider', 'libvirt', name], opts(undefined, o));
}

export interface Plugin {
  name: string;
  version: string;
}

function parsePlugins(text: string): Plugin[] {
  const list: Plugin[] = [];
  for (const l of parseMachineReadable(text)) {
    if (l.type === 'plugin-name') list.push({ name: l.data[0], version: '' });
    if (l.type === 'plugin-version' && list.length) list[list.length - 1].version = l.data[0].split(',')[0].trim();
  }
  return list;
}

/** Vagrant.source_root (the folder holding Vagrant's lib/, plugins/ and keys/) from Vagrant's debug log: Vagrant
 *  prints no such path on its own, but it logs every core plugin it loads as `Loading core plugin:
 *  <source_root>/plugins/<kind>/<name>/plugin.rb`, whichever way it was installed (Debian's gem under
 *  rubygems-integration, HashiCorp's /opt/vagrant/embedded, a gem install). */
export function parseSourceRoot(debugLog: string): string | undefined {
  const m = /Loading core plugin: (\/.+?)\/plugins\/[^/\n]+\/[^/\n]+\/plugin\.rb\s*$/m.exec(debugLog);
  return m?.[1];
}

/** What the installed Vagrant says about itself in one run: its plugins and where its own files are (see
 *  parseSourceRoot). `vagrant plugin list` loads no Vagrantfile; `vagrant --version` answers before Vagrant loads
 *  anything, so it names no path. About a second. */
export async function describe(): Promise<{ plugins: Plugin[]; sourceRoot?: string }> {
  const { stdout, stderr } = await run(
    'vagrant',
    ['plugin', 'list', '--machine-readable'],
    opts(undefined, { env: { VAGRANT_LOG: 'debug' }, tailLines: 5 }),
  );
  return { plugins: parsePlugins(stdout), sourceRoot: parseSourceRoot(stderr) };
}

export async function plugins(): Promise<Plugin[]> {
  const { stdout } = await run('vagrant', ['plugin', 'list', '--machine-readable'], opts(undefined, {}));
  return parsePlugins(stdout);
}

/** Environment variables that change which Vagrant (or which of its gems) the `vagrant` command runs. */
const WHICH_VAGRANT_ENV = [
  'GEM_HOME',
  'GEM_PATH',
  'RUBYLIB',
  'RUBYOPT',
  'BUNDLE_GEMFILE',
  'VAGRANT_INSTALLER_EMBEDDED_DIR',
];

/** The `vagrant` this process would run, as a key that changes whenever that program does: its real path, inode,
 *  size and mtime (an upgrade by apt, dnf, HashiCorp's package or `gem install` replaces the file), and the
 *  environment that steers Ruby to its gems. Undefined when no vagrant is on PATH. */
export function executableIdentity(): string | undefined {
  const found = which('vagrant');
  if (!found) return undefined;
  try {
    const real = fs.realpathSync(found);
    const st = fs.statSync(real);
    const env = WHICH_VAGRANT_ENV.map((k) => `${k}=${process.env[k] ?? ''}`).join(';');
    return JSON.stringify([real, st.dev, st.ino, st.size, st.mtimeMs, env]);
  } catch {
    return undefined;
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Vagrant's name for this host's architecture (Vagrant::Util::Platform.architecture), the folder Vagrant >= 2.4
 *  keeps a box under. */
export function vagrantArchitecture(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: 'i386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[arch] ?? arch;
}

/** Whether a libvirt box is installed, read from Vagrant's box store (instant; `vagrant box list` takes ~1 s), in
 *  both of its layouts: `boxes/<name>/<version>/libvirt/metadata.json` (Vagrant < 2.4) and
 *  `boxes/<name>/<version>/<architecture>/libvirt/metadata.json` (Vagrant >= 2.4: this host's architecture, or
 *  "unknown" for a box added without one). */
export function boxInstalled(name: string): boolean {
  const dir = boxDir(name);
  const isFile = (...p: string[]) => fs.statSync(path.join(...p), { throwIfNoEntry: false })?.isFile() === true;
  return safeList(dir).some(
    (version) =>
      isFile(dir, version, 'libvirt', 'metadata.json') ||
      [vagrantArchitecture(), 'unknown'].some((arch) => isFile(dir, version, arch, 'libvirt', 'metadata.json')),
  );
}

/** The size of an installed libvirt box's disk image (`box.img`, what vagrant-libvirt uploads as the base volume), in
 *  bytes: the largest of its versions; undefined when it is not installed. */
export function boxImageBytes(name: string): number | undefined {
  const dir = boxDir(name);
  const size = (...p: string[]) => {
    const st = fs.statSync(path.join(...p), { throwIfNoEntry: false });
    return st?.isFile() ? st.size : 0;
  };
  let most = 0;
  for (const version of safeList(dir))
    for (const sub of [['libvirt'], ...[vagrantArchitecture(), 'unknown'].map((a) => [a, 'libvirt'])])
      most = Math.max(most, size(dir, version, ...sub, 'box.img'));
  return most || undefined;
}
