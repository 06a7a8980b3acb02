// Vagrant: machine-readable output only (`timestamp,target,type,data`), never the human text.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { run, which, type RunOptions } from './run.js';

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

export async function boxAdd(name: string, file: string, o: RunOptions = {}): Promise<void> {
  await run('vagrant', ['box', 'add', '--force', '--name', name, file], opts(undefined, o));
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

export interface InsecureKeys {
  /** The folder they were read from (<source_root>/keys). */
  dir: string;
  /** Every line of keys/vagrant.pub, as written there: a box must accept each (Vagrant >= 2.3.8 ships an RSA and
   *  an ed25519 key and logs in with either), and Vagrant removes exactly these lines from authorized_keys after
   *  it has put a machine's own key in (`grep -v -x -f vagrant.pub`), so they must stay byte for byte. */
  publicKeys: string[];
  /** The private halves found beside them (keys/vagrant.key.<type>, keys/vagrant), each matched to its public line. */
  privateKeys: { file: string; type: string }[];
  /** The key files as they were read (name, size, mtime, inode): while they are unchanged, so is the matching. */
  fingerprint: string;
}

/** Public key algorithms by preference for a client that logs in (Packer): ed25519 works with every client and
 *  server; an RSA login needs a client that signs with rsa-sha2 (Fedora 41+ refuses SHA-1 ssh-rsa signatures). */
const PREFERENCE = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];

/** The private key a client should log in with: the most widely accepted type among those found. */
export function preferredKey(keys: InsecureKeys): { file: string; type: string } {
  const rank = (t: string) => (PREFERENCE.includes(t) ? PREFERENCE.indexOf(t) : PREFERENCE.length);
  return [...keys.privateKeys].sort((a, b) => rank(a.type) - rank(b.type))[0];
}

/** One OpenSSH public key line (`type base64 [comment]`): anything else is refused (it lands in cloud-init YAML, a
 *  kickstart, Packer variables and authorized_keys). */
const PUBLIC_KEY_LINE = /^(ssh-[a-z0-9-]+|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) ([A-Za-z0-9+/]+={0,2})( [^\p{Cc}]*)?$/u;

function readSmallFile(file: string, what: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${what} ${file} is not a regular file`);
    if (st.size > 64 * 1024) throw new Error(`${what} ${file} is larger than 64 KiB`);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The SSH wire form of a public key (string type, then its fields), as in the base64 field of a .pub line. */
function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}
function mpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** The public key blob (base64) of a private key file's text: OpenSSH's own format is read directly (its header
 *  carries the public key), PEM keys (RSA, ed25519) through Node's crypto. Undefined for anything else. */
export function publicBlobOf(text: string): { type: string; blob: string } | undefined {
  const openssh = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (openssh) {
    const b = Buffer.from(openssh[1].replace(/\s+/g, ''), 'base64');
    const magic = Buffer.from('openssh-key-v1\0');
    if (b.length < magic.length || !b.subarray(0, magic.length).equals(magic)) return undefined;
    let at = magic.length;
    const str = () => {
      if (at + 4 > b.length) throw new Error('short');
      const n = b.readUInt32BE(at);
      if (at + 4 + n > b.length) throw new Error('short');
      const v = b.subarray(at + 4, at + 4 + n);
      at += 4 + n;
      return v;
    };
    try {
      str(); // cipher
      str(); // kdf
      str(); // kdf options
      if (b.readUInt32BE(at) < 1) return undefined;
      at += 4;
      const blob = str();
      const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('latin1');
      return { type, blob: blob.toString('base64') };
    } catch {
      return undefined;
    }
  }
  try {
    const jwk = crypto.createPublicKey(text).export({ format: 'jwk' });
    if (jwk.kty === 'RSA' && jwk.n && jwk.e) {
      const blob = Buffer.concat([
        sshString(Buffer.from('ssh-rsa')),
        mpint(Buffer.from(jwk.e, 'base64url')),
        mpint(Buffer.from(jwk.n, 'base64url')),
      ]);
      return { type: 'ssh-rsa', blob: blob.toString('base64') };
    }
    if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) {
      const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(Buffer.from(jwk.x, 'base64url'))]);
      return { type: 'ssh-ed25519', blob: blob.toString('base64') };
    }
  } catch {
    /* not a key Node reads */
  }
  return undefined;
}

/** Vagrant's insecure keys, read from its own keys/ folder (Vagrant.source_root/keys, see describe): every public
 *  key in vagrant.pub, whatever their number, and each private key beside them (Vagrant >= 2.3.8:
 *  vagrant.key.<type>; before: vagrant) matched to its public line. `known`: a matching made earlier, taken as it
 *  is while the files' fingerprint is the same (parsing the private keys is the costly part). Throws a sentence
 *  naming the file at fault. */
export function insecureKeys(
  sourceRoot: string,
  known?: Pick<InsecureKeys, 'fingerprint' | 'privateKeys'>,
): InsecureKeys {
  const dir = path.join(sourceRoot, 'keys');
  const pubFile = path.join(dir, 'vagrant.pub');
  const publicKeys = readSmallFile(pubFile, "Vagrant's insecure public keys")
    .split('\n')
    // As written (Vagrant removes them from authorized_keys by whole-line match), less a CR and blank lines.
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  if (!publicKeys.length) throw new Error(`${pubFile} holds no public key`);
  for (const k of publicKeys)
    if (!PUBLIC_KEY_LINE.test(k))
      throw new Error(`${pubFile} has a line that is not an OpenSSH public key: ${JSON.stringify(k)}`);
  const blobs = new Map(publicKeys.map((k) => [k.split(' ')[1], k.split(' ')[0]]));
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((n) => n === 'vagrant' || n.startsWith('vagrant.key.'))
      .sort();
  } catch (e) {
    throw new Error(`cannot list ${dir}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const fingerprint = JSON.stringify(
    ['vagrant.pub', ...names].map((n) => {
      const st = fs.lstatSync(path.join(dir, n), { throwIfNoEntry: false });
      return [n, st?.size, st?.mtimeMs, st?.ino];
    }),
  );
  // Taken only as it can be: files of this folder that were looked at, each with a key type.
  const fits = (k: { file: unknown; type: unknown }) =>
    typeof k?.file === 'string' &&
    typeof k?.type === 'string' &&
    path.dirname(k.file) === dir &&
    names.includes(path.basename(k.file));
  if (
    known?.fingerprint === fingerprint &&
    Array.isArray(known.privateKeys) &&
    known.privateKeys.length > 0 &&
    known.privateKeys.every(fits)
  )
    return { dir, publicKeys, privateKeys: known.privateKeys, fingerprint };
  const privateKeys: InsecureKeys['privateKeys'] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const file = path.join(dir, name);
    let parsed: ReturnType<typeof publicBlobOf>;
    try {
      parsed = publicBlobOf(readSmallFile(file, "Vagrant's insecure private key"));
    } catch {
      continue;
    }
    if (!parsed || !blobs.has(parsed.blob) || seen.has(parsed.blob)) continue;
    seen.add(parsed.blob);
    privateKeys.push({ file, type: parsed.type });
  }
  if (!privateKeys.length)
    throw new Error(
      `${dir} has no private key that matches a key in vagrant.pub (looked at: ${names.join(', ') || 'none'})`,
    );
  return { dir, publicKeys, privateKeys, fingerprint };
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
  const home = process.env.VAGRANT_HOME ?? path.join(process.env.HOME ?? '/root', '.vagrant.d');
  const dir = path.join(home, 'boxes', name.replace(/\//g, '-VAGRANTSLASH-'));
  const isFile = (...p: string[]) => fs.statSync(path.join(...p), { throwIfNoEntry: false })?.isFile() === true;
  return safeList(dir).some(
    (version) =>
      isFile(dir, version, 'libvirt', 'metadata.json') ||
      [vagrantArchitecture(), 'unknown'].some((arch) => isFile(dir, version, arch, 'libvirt', 'metadata.json')),
  );
}
