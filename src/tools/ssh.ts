// ssh and ssh-keygen: the lab key pair and commands on nodes as root.
import fs from 'node:fs';
import { run, runAttached, type RunOptions, type RunResult } from './run.js';

/** Creates an ed25519 key pair at `file` (+ .pub) if it does not exist yet (ssh-keygen makes the private key
 *  0600). An existing file is left exactly as it is. */
export async function ensureKey(file: string, comment: string): Promise<boolean> {
  if (fs.existsSync(file)) return false;
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return true;
}

/** The public key (type and base64, without comment) that ssh-keygen derives from a private key file, or the
 *  error when it cannot read one without a passphrase. */
export async function publicKeyOf(file: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-y', '-P', '', '-f', file], { timeoutMs: 10000 });
  return stdout.trim().split(/\s+/).slice(0, 2).join(' ');
}

export interface SshTarget {
  host: string;
  user: string;
  key: string;
  knownHosts: string;
}

function sshArgs(t: SshTarget, timeoutS: number, batch = true): string[] {
  return [
    ...(batch ? ['-o', 'BatchMode=yes'] : []),
    '-o', 'IdentitiesOnly=yes',
    '-o', `ConnectTimeout=${timeoutS}`,
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', `UserKnownHostsFile=${t.knownHosts}`,
    '-o', 'LogLevel=ERROR',
    '-i', t.key,
    `${t.user}@${t.host}`,
  ];
}

/** Runs a command on a node; resolves with its stdout. */
export async function exec(t: SshTarget, command: string, o: RunOptions & { connectTimeoutS?: number } = {}): Promise<string> {
  const { stdout } = await run('ssh', [...sshArgs(t, o.connectTimeoutS ?? 10), command], o);
  return stdout;
}

/** Runs a command on a node and resolves with its exit code and output whatever the code (255: ssh itself
 *  failed, e.g. no connection). */
export async function execAll(t: SshTarget, command: string, o: RunOptions & { connectTimeoutS?: number } = {}): Promise<RunResult> {
  return run('ssh', [...sshArgs(t, o.connectTimeoutS ?? 10), command], { ...o, anyExitCode: true });
}

/** Copies with scp, recursively, as root with the lab key: `push` from a local path to a path on the node, or
 *  from the node to a local path. */
export async function copy(t: SshTarget, from: string, to: string, push: boolean, o: RunOptions & { connectTimeoutS?: number } = {}): Promise<RunResult> {
  const opts = sshArgs(t, o.connectTimeoutS ?? 10);
  const remote = opts.pop()!; // user@host
  const spec = (p: string) => `${remote}:${p}`;
  return run('scp', ['-r', '-p', ...opts, push ? from : spec(from), push ? spec(to) : to], { ...o, anyExitCode: true });
}

/** An interactive session on a node (labforge ssh NODE [COMMAND...]) on the user's terminal; returns ssh's exit
 *  code (the remote command's, or 255 when ssh itself failed). Not in batch mode: ssh may ask the user. */
export function login(t: SshTarget, command: string[] = []): number {
  return runAttached('ssh', [...sshArgs(t, 10, false), ...command]);
}
