// The remote-host test bed (scripts/hosts-env.sh): a "workstation" namespace without libvirtd and one to three
// "hosts", each a namespace with its own libvirtd and an sshd on a LAN, torn down after the test file's last test.
import { execa } from 'execa';
import path from 'node:path';
import { onCleanup, ROOT, tempDir } from '../support.js';

export type Place = 'ws' | 'a' | 'b' | 'c';

export interface TestBed {
  prefix: string;
  state: string;
  /** The hosts' LAN addresses: a 10.77.0.11, b .12, c .13 (the workstation is .1). */
  ip(host: Exclude<Place, 'ws'>): string;
  /** The libvirt URI of a host as the workstation reaches it (libvirt's ssh transport, root's key in ws). */
  uri(host: Exclude<Place, 'ws'>): string;
  /** Runs a command in the workstation or on a host (its namespaces). */
  exec(
    where: Place,
    cmd: string,
    args: string[],
    opts?: { cwd?: string; env?: Record<string, string>; reject?: boolean; timeout?: number },
  ): Promise<{ exitCode?: number; stdout: string; stderr: string; all: string }>;
  down(): Promise<string>;
}

export const HOSTS_ENV = path.join(ROOT, 'scripts', 'hosts-env.sh');
const IPS = { a: '10.77.0.11', b: '10.77.0.12', c: '10.77.0.13' } as const;

export async function testBedUp(prefix: string, hosts = 2): Promise<TestBed> {
  const name = `${prefix}${process.pid}`;
  const state = tempDir('labforge-hosts-');
  const PATH = process.env.PATH ?? '';
  const down = async () => (await execa('bash', [HOSTS_ENV, 'down', name, state], { reject: false, all: true })).all;
  onCleanup(down);
  const up = await execa('bash', [HOSTS_ENV, 'up', name, state, String(hosts)], { reject: false, all: true });
  if (up.exitCode !== 0) throw new Error(`the test bed did not come up:\n${up.all}`);
  return {
    prefix: name,
    state,
    ip: (h) => IPS[h],
    uri: (h) => `qemu+ssh://root@${IPS[h]}/system`,
    exec: async (where, cmd, args, opts = {}) => {
      const r = await execa('bash', [HOSTS_ENV, 'exec', name, state, where, cmd, ...args], {
        reject: opts.reject ?? true,
        cwd: opts.cwd,
        env: { PATH, ...opts.env },
        timeout: opts.timeout,
        all: true,
      });
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, all: r.all ?? '' };
    },
    down: async () => (await down()) ?? '',
  };
}
