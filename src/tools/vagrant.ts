// Vagrant: machine-readable output only (`timestamp,target,type,data`), never the human text.
import fs from 'node:fs';
import path from 'node:path';
import { run, type RunOptions } from './run.js';

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

export async function plugins(): Promise<{ name: string; version: string }[]> {
  const { stdout } = await run('vagrant', ['plugin', 'list', '--machine-readable'], opts(undefined, {}));
  const list: { name: string; version: string }[] = [];
  for (const l of parseMachineReadable(stdout)) {
    if (l.type === 'plugin-name') list.push({ name: l.data[0], version: '' });
    if (l.type === 'plugin-version' && list.length) list[list.length - 1].version = l.data[0].split(',')[0].trim();
  }
  return list;
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

/** Vagrant's well-known insecure key pair, shipped inside the vagrant gem (Debian, HashiCorp and gem installs). */
export function insecureKey(): { privateKey: string; publicKey: string } | undefined {
  const roots = [
    '/usr/share/rubygems-integration/all/gems',
    '/opt/vagrant/embedded/gems/gems',
    ...safeList('/opt/vagrant/embedded/gems').map((d) => path.join('/opt/vagrant/embedded/gems', d, 'gems')),
    '/usr/share/vagrant/gems/gems',
    '/usr/lib/vagrant/gems/gems',
  ];
  for (const root of roots) {
    for (const gem of safeList(root)
      .filter((d) => /^vagrant-\d/.test(d))
      .sort()
      .reverse()) {
      const privateKey = path.join(root, gem, 'keys', 'vagrant');
      if (fs.existsSync(privateKey) && fs.existsSync(`${privateKey}.pub`))
        return { privateKey, publicKey: `${privateKey}.pub` };
    }
  }
  return undefined;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Whether a libvirt box is installed, read from Vagrant's box directory (instant; `vagrant box list` takes ~1 s). */
export function boxInstalled(name: string): boolean {
  const home = process.env.VAGRANT_HOME ?? path.join(process.env.HOME ?? '/root', '.vagrant.d');
  const dir = path.join(home, 'boxes', name.replace(/\//g, '-VAGRANTSLASH-'));
  return safeList(dir).some((version) => fs.existsSync(path.join(dir, version, 'libvirt', 'metadata.json')));
}
