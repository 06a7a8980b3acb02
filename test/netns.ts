// A libvirtd of the test's own, inside a network namespace the test creates (scripts/e2e-env.sh), torn down
// even when the test fails. Nothing a test defines in libvirt exists outside that namespace.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { onCleanup, requireTool, ROOT, tempDir } from './support.js';

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
  /** Runs a command inside the namespace. */
  exec(
    cmd: string,
    args: string[],
    opts?: { cwd?: string; env?: Record<string, string>; reject?: boolean; timeout?: number },
  ): Promise<NsResult> & { kill(signal?: NodeJS.Signals): boolean };
  down(): Promise<string>;
}

export async function netnsUp(prefix: string): Promise<Netns> {
  const name = `${prefix}-${process.pid}`;
  const state = tempDir('labforge-netns-');
  const script = path.join(ROOT, 'scripts', 'e2e-env.sh');
  const up = await execa('bash', [script, 'up', name, state], { reject: false, all: true });
  const down = async () => {
    const r = await execa('bash', [script, 'down', name, state], { reject: false, all: true });
    fs.rmSync(state, { recursive: true, force: true });
    return r.all ?? '';
  };
  if (up.exitCode !== 0) {
    await down();
    throw new Error(`could not start libvirtd in network namespace ${name}:\n${up.all}`);
  }
  return {
    name,
    state,
    exec: (cmd, args, opts = {}) =>
      execa('ip', ['netns', 'exec', name, cmd, ...args], {
        reject: opts.reject ?? true,
        cwd: opts.cwd,
        env: opts.env,
        timeout: opts.timeout,
        all: true,
      }),
    down,
  };
}

/** Starts a libvirtd of its own before the suite (beforeAll) and takes it down after the file's last test, before
 *  its state directory is removed; returns the namespace's getter. */
export function useNetns(prefix: string): () => Netns {
  let ns: Netns | undefined;
  beforeAll(async () => {
    ['ip', 'libvirtd', 'virsh'].forEach(requireTool);
    ns = await netnsUp(prefix);
    onCleanup(() => ns?.down());
  }, 120000);
  return () => {
    if (!ns) throw new Error('the network namespace is not up');
    return ns;
  };
}
