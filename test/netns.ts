// A libvirt environment of the test's own (scripts/e2e-env.sh): a network namespace and a mount namespace with its
// own libvirtd, virtlogd and libvirt directories, torn down even when the test fails. Nothing a test defines in
// libvirt exists outside it, and tests in other processes or worktrees can have theirs at the same time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { onCleanup, requireTool, ROOT, tempDir, toolPath } from './support.js';

/** What a command run in the namespace gives back (text output; `all` is stdout and stderr interleaved); until it
 *  ends, it can be signalled with kill(). */
export interface NsResult {
  exitCode?: number;
  /** The signal that ended it, when one did. */
  signal?: string;
  stdout: string;
  stderr: string;
  all: string;
}

export interface Netns {
  name: string;
  state: string;
  /** Runs a command inside the environment (its network and mount namespaces). */
  exec(
    cmd: string,
    args: string[],
    opts?: { cwd?: string; env?: Record<string, string>; reject?: boolean; timeout?: number },
  ): Promise<NsResult> & { kill(signal?: NodeJS.Signals): boolean };
  /** The pids of the processes in the environment whose command line matches `pattern` (pgrep -f): a process of
   *  another environment on the machine never counts. */
  pgrep(pattern: string): Promise<number[]>;
  /** Kills the environment's libvirtd (SIGKILL), waits `downS` seconds and starts it again (scripts/e2e-env.sh
   *  restart-libvirtd); resolves once it answers. */
  restartLibvirtd(downS?: number): Promise<string>;
  /** `virsh -q` on the environment's qemu:///system; its standard output (a failure rejects). */
  virsh(...args: string[]): Promise<string>;
  /** The same for clean-ups: a failure (a domain already gone) is ignored. */
  virshQuiet(...args: string[]): Promise<void>;
  /** Defines a small domain (64 MiB, nothing to boot) with these devices (libvirt XML inside <devices>), returns
   *  its UUID. */
  defineDomain(name: string, devices?: string): Promise<string>;
  down(): Promise<string>;
}

/** A domain's qcow2 disk device (libvirt XML) on this file, as vda. */
export const qcow2Disk = (file: string): string =>
  `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${file}'/>` +
  `<target dev='vda' bus='virtio'/></disk>`;

/** The non-empty lines of a command's output, trimmed. */
export const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

const SCRIPT = path.join(ROOT, 'scripts', 'e2e-env.sh');

/** Where each test environment is recorded while it is up (name, pid, state folder): a jest process killed outright
 *  runs no afterAll, so the next netnsUp takes down every recorded environment whose process is gone. */
const RECORDS = path.join(os.tmpdir(), 'labforge-netns-records');

async function sweepDead(): Promise<void> {
  fs.mkdirSync(RECORDS, { recursive: true });
  for (const file of fs.readdirSync(RECORDS)) {
    if (!file.endsWith('.json')) continue; // a record being written
    let r: { name: string; pid: number; state: string };
    try {
      r = JSON.parse(fs.readFileSync(path.join(RECORDS, file), 'utf8'));
      process.kill(r.pid, 0);
      continue; // its process runs: its own
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') continue;
    }
    if (r! && typeof r.name === 'string' && typeof r.state === 'string')
      await execa('bash', [SCRIPT, 'down', r.name, r.state], { reject: false });
    fs.rmSync(path.join(RECORDS, file), { force: true });
  }
}

export async function netnsUp(prefix: string): Promise<Netns> {
  await sweepDead();
  const name = `${prefix}-${process.pid}`;
  const state = tempDir('labforge-netns-');
  const record = path.join(RECORDS, `${name}.json`);
  // Written whole under another name, then renamed: a sweep in another jest worker never reads half a record.
  fs.writeFileSync(`${record}.tmp`, JSON.stringify({ name, pid: process.pid, state }));
  fs.renameSync(`${record}.tmp`, record);
  // What the commands run in the environment get as PATH (useNetns puts its own virsh before it for this process).
  const PATH = process.env.PATH ?? '';
  const up = await execa('bash', [SCRIPT, 'up', name, state], { reject: false, all: true });
  const down = async () => {
    const r = await execa('bash', [SCRIPT, 'down', name, state], { reject: false, all: true });
    fs.rmSync(state, { recursive: true, force: true });
    fs.rmSync(record, { force: true });
    return r.all ?? '';
  };
  if (up.exitCode !== 0) {
    await down();
    throw new Error(`could not start libvirtd in network namespace ${name}:\n${up.all}`);
  }
  const netIno = (pid: number | string) => fs.statSync(`/proc/${pid}/ns/net`, { throwIfNoEntry: false })?.ino;
  const exec: Netns['exec'] = (cmd, args, opts = {}) =>
    execa('bash', [SCRIPT, 'exec', name, state, cmd, ...args], {
      reject: opts.reject ?? true,
      cwd: opts.cwd,
      env: { PATH, ...opts.env },
      timeout: opts.timeout,
      all: true,
    });
  const virsh = async (...args: string[]) => (await exec('virsh', ['-q', '-c', 'qemu:///system', ...args])).stdout;
  return {
    name,
    state,
    exec,
    virsh,
    virshQuiet: async (...args) => {
      await exec('virsh', ['-q', '-c', 'qemu:///system', ...args], { reject: false }).catch(() => undefined);
    },
    defineDomain: async (domain, devices = '') => {
      const xml = path.join(state, `${domain}.xml`);
      fs.writeFileSync(
        xml,
        `<domain type='qemu'><name>${domain}</name><memory unit='MiB'>64</memory>` +
          `<os><type arch='x86_64'>hvm</type></os><devices>${devices}</devices></domain>`,
      );
      await virsh('define', xml);
      return (await virsh('domuuid', domain)).trim();
    },
    pgrep: async (pattern) => {
      const ours = fs.statSync(`/run/netns/${name}`).ino;
      const { stdout } = await execa('pgrep', ['-f', pattern], { reject: false });
      return stdout
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter((pid) => netIno(pid) === ours);
    },
    restartLibvirtd: async (downS = 0) =>
      (await execa('bash', [SCRIPT, 'restart-libvirtd', name, state, String(downS)], { all: true })).all ?? '',
    down,
  };
}

const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts a libvirt environment of its own before the suite (beforeAll) and takes it down after the file's last
 *  test, before its state directory is removed; returns the environment's getter. labforge's own code that the
 *  test calls in-process (new Virsh(...), destroy(lab), saveSnapshot(lab), ...) runs `virsh` from PATH: for this
 *  test file, PATH starts with a virsh that runs the real one in the environment. */
export function useNetns(prefix: string): () => Netns {
  let ns: Netns | undefined;
  beforeAll(async () => {
    ['ip', 'nsenter', 'unshare', 'libvirtd', 'virsh'].forEach(requireTool);
    ns = await netnsUp(prefix);
    const env = ns;
    onCleanup(() => env.down());
    const bin = path.join(env.state, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'virsh'),
      `#!/bin/sh\n# virsh in the test's libvirt environment ${env.name} (test/netns.ts)\n` +
        `exec bash ${[SCRIPT, 'exec', env.name, env.state, toolPath('virsh')!].map(shellWord).join(' ')} "$@"\n`,
      { mode: 0o755 },
    );
    const before = process.env.PATH;
    process.env.PATH = `${bin}:${before ?? ''}`;
    onCleanup(() => {
      process.env.PATH = before;
    });
  }, 120000);
  return () => {
    if (!ns) throw new Error('the network namespace is not up');
    return ns;
  };
}
